import type { SelfRegisteringRole } from '@phr/shared-types';

export function RoleChoice({ value, onChange }: { value: SelfRegisteringRole; onChange: (role: SelfRegisteringRole) => void }) {
  return (
    <fieldset className="roles">
      <legend>I am a</legend>
      {(['patient', 'doctor'] as const).map((option) => (
        <label key={option} className="radio">
          <input type="radio" name="role" value={option} checked={value === option} onChange={() => onChange(option)} />
          {option === 'patient' ? 'Patient' : 'Doctor'}
        </label>
      ))}
    </fieldset>
  );
}
