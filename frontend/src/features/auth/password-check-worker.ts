/// <reference lib="webworker" />
/**
 * Runs the zxcvbn estimate off the page's thread: for a long passphrase with digits it takes
 * 0.2–1.4 s on a fast core (each l33t reading is matched against every dictionary again), and
 * on the page that froze typing at every keystroke. The password stays in this browser.
 */
import { answerPasswordCheck, type PasswordCheckRequest } from './password-check-protocol.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = (event: MessageEvent<PasswordCheckRequest>) => {
  void answerPasswordCheck(event.data).then((response) => scope.postMessage(response));
};
