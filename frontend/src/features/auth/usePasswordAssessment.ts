import { useEffect, useState } from 'react';
import { checkPassword, PasswordCheckSuperseded, preparePasswordCheck } from './password-checker.js';
import type { PasswordAssessment } from './password-strength.js';

export interface PasswordAssessmentState {
  /** The last answer, kept on screen while the next is checked; null while the field is empty. */
  assessment: PasswordAssessment | null;
  /** True until the password as it now reads has its own answer: nothing may be submitted on an older one. */
  isChecking: boolean;
}

const CHECK_FAILED: PasswordAssessment = {
  score: 0,
  isAcceptable: false,
  problems: ['The strength check could not run. Check your connection, then change the password to check it again.'],
};

/** Re-assesses the password as it is typed, in the password-check worker. */
export function usePasswordAssessment(password: string, userInputs: string[]): PasswordAssessmentState {
  const [answer, setAnswer] = useState<{ key: string; assessment: PasswordAssessment } | null>(null);
  const key = JSON.stringify([password, userInputs]);
  useEffect(preparePasswordCheck, []);
  useEffect(() => {
    if (!password) return;
    let isCurrent = true;
    const [checked, inputs] = JSON.parse(key) as [string, string[]];
    checkPassword(checked, inputs).then(
      (assessment) => {
        if (isCurrent) setAnswer({ key, assessment });
      },
      (error: unknown) => {
        // Superseded means a newer password is being checked, and this effect is already stale.
        if (isCurrent && !(error instanceof PasswordCheckSuperseded)) setAnswer({ key, assessment: CHECK_FAILED });
      },
    );
    return () => {
      isCurrent = false;
    };
  }, [password, key]);
  if (!password) return { assessment: null, isChecking: false };
  return { assessment: answer?.assessment ?? null, isChecking: answer?.key !== key };
}
