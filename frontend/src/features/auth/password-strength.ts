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
  return checker;
}

export async function assessPassword(password: string, userInputs: string[] = []): Promise<PasswordAssessment> {
  const check = await loadChecker();
  const result = check(password, userInputs.filter(Boolean));
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) problems.push(`Use at least ${PASSWORD_MIN_LENGTH} characters.`);
  if (result.score < PASSWORD_MIN_SCORE) {
    problems.push(result.feedback.warning || 'This password is too easy to guess.');
    problems.push(...result.feedback.suggestions);
  }
  return { score: result.score, isAcceptable: password.length >= PASSWORD_MIN_LENGTH && result.score >= PASSWORD_MIN_SCORE, problems };
}
