import { useEffect, useState } from 'react';
import { assessPassword, type PasswordAssessment } from './password-strength.js';

/** Re-assesses the password as it is typed; null while empty. */
export function usePasswordAssessment(password: string, userInputs: string[]): PasswordAssessment | null {
  const [assessment, setAssessment] = useState<PasswordAssessment | null>(null);
  const inputsKey = userInputs.join('\n');
  useEffect(() => {
    if (!password) {
      setAssessment(null);
      return;
    }
    let isCurrent = true;
    void assessPassword(password, inputsKey.split('\n')).then((result) => {
      if (isCurrent) setAssessment(result);
    });
    return () => {
      isCurrent = false;
    };
  }, [password, inputsKey]);
  return assessment;
}
