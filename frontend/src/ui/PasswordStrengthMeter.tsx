import type { PasswordAssessment } from '../features/auth/password-strength.js';

const LABELS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'];

/** The last answer stays shown while the next is checked (`isChecking`), so the meter does not flicker as one types. */
export function PasswordStrengthMeter({ assessment, isChecking }: { assessment: PasswordAssessment | null; isChecking: boolean }) {
  const score = assessment?.score ?? 0;
  const label = assessment ? LABELS[score] : isChecking ? 'Checking…' : 'Type a password';
  return (
    <div className="strength" aria-live="polite" aria-busy={isChecking} data-testid="password-strength">
      <meter min={0} max={4} low={2} high={3} optimum={4} value={assessment ? score : 0} aria-label="Password strength" />
      <span className="strength-label">{label}</span>
      {assessment && assessment.problems.length > 0 ? (
        <ul className="strength-problems">
          {assessment.problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
