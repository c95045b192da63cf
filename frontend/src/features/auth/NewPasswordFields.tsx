import { PasswordStrengthMeter } from '../../ui/PasswordStrengthMeter.js';
import { PasswordField } from '../../ui/PasswordField.js';
import { usePasswordAssessment, type PasswordAssessmentState } from './usePasswordAssessment.js';

export interface NewPassword {
  password: string;
  confirmation: string;
}

export interface NewPasswordCheck extends PasswordAssessmentState {
  mismatch: boolean;
  /** The password as it now reads is strong enough and the confirmation matches it. */
  isReady: boolean;
}

/** A new password's strength and confirmation, checked once per form: pass the result to NewPasswordFields. */
export function useNewPassword(value: NewPassword, userInputs: string[]): NewPasswordCheck {
  const { assessment, isChecking } = usePasswordAssessment(value.password, userInputs);
  const mismatch = value.confirmation.length > 0 && value.confirmation !== value.password;
  const isReady = !isChecking && Boolean(assessment?.isAcceptable) && !mismatch && value.confirmation === value.password;
  return { assessment, isChecking, mismatch, isReady };
}

export function NewPasswordFields({
  value,
  onChange,
  check,
  label = 'Password',
}: {
  value: NewPassword;
  onChange: (value: NewPassword) => void;
  check: NewPasswordCheck;
  label?: string;
}) {
  return (
    <>
      <PasswordField
        label={label}
        autoComplete="new-password"
        required
        value={value.password}
        onChange={(event) => onChange({ ...value, password: event.target.value })}
        hint={<PasswordStrengthMeter assessment={check.assessment} isChecking={check.isChecking} />}
      />
      <PasswordField
        label={`Confirm ${label.toLowerCase()}`}
        autoComplete="new-password"
        required
        value={value.confirmation}
        onChange={(event) => onChange({ ...value, confirmation: event.target.value })}
        error={check.mismatch ? 'The two passwords are not the same.' : null}
      />
    </>
  );
}
