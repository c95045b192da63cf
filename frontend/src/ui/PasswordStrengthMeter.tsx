import type { PasswordAssessment } from '../features/auth/password-strength.js';

const LABELS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'];

export function PasswordStrengthMeter({ assessment }: { assessment: PasswordAssessment | null }) {
  const score = assessment?.score ?? 0;
  return (
    <div className="strength" aria-live="polite">
      <meter min={0} max={4} low={2} high={3} optimum={4} value={assessment ? score : 0} aria-label="Password strength" />
      <span className="strength-label">{assessment ? LABELS[score] : 'Type a password'}</span>
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
