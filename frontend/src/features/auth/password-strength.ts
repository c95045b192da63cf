/**
 * Password strength is checked in the browser: the server never sees the
 * password (DESIGN 4.1). Length floor plus a zxcvbn estimate; the dictionaries
 * load on first use.
 */
import { PASSWORD_MIN_LENGTH, PASSWORD_MIN_SCORE } from '@phr/shared-types';

export interface PasswordAssessment {
  score: number;
  isAcceptable: boolean;
  problems: string[];
}

type Checker = (password: string, userInputs: string[]) => { score: number; feedback: { warning: string | null; suggestions: string[] } };

let checker: Promise<Checker> | null = null;

function loadChecker(): Promise<Checker> {
  checker ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en')]).then(
    ([core, common, en]) => {
      const factory = new core.ZxcvbnFactory({
        dictionary: { ...common.dictionary, ...en.dictionary },
        graphs: common.adjacencyGraphs,
        translations: en.translations,
      });
      return (password, userInputs) => factory.check(password, userInputs);
    },
  );
  // A dictionary that did not load is asked for again at the next check, not failed forever.
  checker.catch(() => {
    checker = null;
  });
  return checker;
}

/**
 * Words of this product and its setting (ASVS 5.0 6.1.2, 6.2.11): anyone who knows where a
 * password is used tries them first, so zxcvbn counts them as it counts the person's own email
 * and name, and a password made of them scores low. docs/security/asvs.md (6.1.2) lists them.
 */
export const PASSWORD_CONTEXT_WORDS: readonly string[] = [
  'health',
  'records',
  'healthrecords',
  'patient',
  'doctor',
  'clinician',
  'auditor',
  'operator',
  'hospital',
  'clinic',
  'medical',
  'portal',
  'phr',
  'recovery',
  'emergency',
  'consent',
];

export async function assessPassword(password: string, userInputs: string[] = [], contextWords: readonly string[] = PASSWORD_CONTEXT_WORDS): Promise<PasswordAssessment> {
  const check = await loadChecker();
  const result = check(password, [...userInputs.filter(Boolean), ...contextWords]);
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) problems.push(`Use at least ${PASSWORD_MIN_LENGTH} characters.`);
  if (result.score < PASSWORD_MIN_SCORE) {
    problems.push(result.feedback.warning || 'This password is too easy to guess.');
    problems.push(...result.feedback.suggestions);
  }
  return { score: result.score, isAcceptable: password.length >= PASSWORD_MIN_LENGTH && result.score >= PASSWORD_MIN_SCORE, problems };
}
