import { PasswordStrengthMeter } from '../../ui/PasswordStrengthMeter.js';
import { PasswordField } from '../../ui/PasswordField.js';
import { usePasswordAssessment } from './usePasswordAssessment.js';

export interface NewPassword {
  password: string;
  confirmation: string;
}

/** A new password, its confirmation and the strength meter; `isReady` when both are acceptable. */
export function useNewPassword(value: NewPassword, userInputs: string[]) {
  const assessment = usePasswordAssessment(value.password, userInputs);
  const mismatch = value.confirmation.length > 0 && value.confirmation !== value.password;
  return { assessment, mismatch, isReady: Boolean(assessment?.isAcceptable) && !mismatch && value.confirmation === value.password };
}

export function NewPasswordFields({
  value,
  onChange,
  label = 'Password',
  userInputs,
}: {
  value: NewPassword;
  onChange: (value: NewPassword) => void;
  label?: string;
  userInputs: string[];
}) {
  const { assessment, mismatch } = useNewPassword(value, userInputs);
  return (
    <>
      <PasswordField
        label={label}
        autoComplete="new-password"
        required
        value={value.password}
        onChange={(event) => onChange({ ...value, password: event.target.value })}
        hint={<PasswordStrengthMeter assessment={assessment} />}
      />
      <PasswordField
        label={`Confirm ${label.toLowerCase()}`}
        autoComplete="new-password"
        required
        value={value.confirmation}
        onChange={(event) => onChange({ ...value, confirmation: event.target.value })}
        error={mismatch ? 'The two passwords are not the same.' : null}
      />
    </>
  );
}
