/**
 * The page's side of the password-check worker. At most one check runs; while it does, only
 * the newest request waits and an older waiting one is superseded, so typing ten characters
 * during a slow check costs two checks, not ten. Checks of the same password and inputs share
 * one answer (the form and its strength meter both ask).
 */
import type { PasswordCheckRequest, PasswordCheckResponse } from './password-check-protocol.js';
import type { PasswordAssessment } from './password-strength.js';

/** What the checker needs of a worker; a `Worker` is one. */
export interface PasswordCheckPort {
  postMessage(request: PasswordCheckRequest): void;
  onmessage: ((event: MessageEvent<PasswordCheckResponse>) => void) | null;
  onerror: ((event: Event) => void) | null;
  terminate(): void;
}

/** A newer password was asked for before this one's check began. */
export class PasswordCheckSuperseded extends Error {
  constructor() {
    super('A newer password replaced this one before it was checked');
    this.name = 'PasswordCheckSuperseded';
  }
}

/** The check could not run (the worker's script did not load, or it failed). */
export class PasswordCheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordCheckFailed';
  }
}

export type PasswordChecker = (password: string, userInputs: string[]) => Promise<PasswordAssessment>;

interface Check {
  key: string;
  request: Omit<PasswordCheckRequest, 'id'>;
  resolve: (assessment: PasswordAssessment) => void;
  reject: (error: Error) => void;
}

/** Answers kept for passwords asked again (a field emptied and typed back, the second asker). */
const KEPT_ANSWERS = 16;

export function createPasswordChecker(startWorker: () => PasswordCheckPort): PasswordChecker {
  const answers = new Map<string, Promise<PasswordAssessment>>();
  let port: PasswordCheckPort | null = null;
  let running: (Check & { id: number }) | null = null;
  let waiting: Check | null = null;
  let nextId = 1;

  const forget = (key: string) => answers.delete(key);

  const stopWorker = (error: Error) => {
    port?.terminate();
    port = null;
    for (const check of [running, waiting]) {
      if (!check) continue;
      forget(check.key);
      check.reject(error);
    }
    running = null;
    waiting = null;
  };

  const openPort = (): PasswordCheckPort => {
    const opened = startWorker();
    opened.onmessage = (event) => {
      const response = event.data;
      if (!running || response.id !== running.id) return;
      const check = running;
      running = null;
      if (response.ok) check.resolve(response.assessment);
      else {
        forget(check.key);
        check.reject(new PasswordCheckFailed(response.message));
      }
      runWaiting();
    };
    // A worker whose script did not load is of no more use: the next check starts a new one.
    opened.onerror = (event) => {
      event.preventDefault();
      stopWorker(new PasswordCheckFailed('The password check did not start'));
    };
    return opened;
  };

  const runWaiting = () => {
    if (running || !waiting) return;
    const check = waiting;
    waiting = null;
    port ??= openPort();
    running = { ...check, id: nextId++ };
    port.postMessage({ id: running.id, ...check.request });
  };

  return (password, userInputs) => {
    const key = JSON.stringify([password, userInputs]);
    const known = answers.get(key);
    if (known) return known;
    const answer = new Promise<PasswordAssessment>((resolve, reject) => {
      if (waiting) {
        forget(waiting.key);
        waiting.reject(new PasswordCheckSuperseded());
      }
      waiting = { key, request: { password, userInputs }, resolve, reject };
    });
    answers.set(key, answer);
    while (answers.size > KEPT_ANSWERS) forget(answers.keys().next().value as string);
    runWaiting();
    return answer;
  };
}

let pageChecker: PasswordChecker | null = null;

/** The page's one checker, its worker started at the first check. */
export function checkPassword(password: string, userInputs: string[]): Promise<PasswordAssessment> {
  pageChecker ??= createPasswordChecker(
    () => new Worker(new URL('./password-check-worker.ts', import.meta.url), { type: 'module', name: 'phr-password-check' }) as unknown as PasswordCheckPort,
  );
  return pageChecker(password, userInputs);
}

/**
 * Starts the worker and has it load the dictionaries (1.2 MB) and build its tables (about a
 * second of a fast core) while the person fills in the rest of the form, so the first verdict
 * does not wait for them. Checking the empty password is what loads them; its answer is not used.
 */
export function preparePasswordCheck(): void {
  checkPassword('', []).catch(() => undefined);
}
