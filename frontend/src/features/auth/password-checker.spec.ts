import { describe, expect, it } from '@jest/globals';
import { answerPasswordCheck, type PasswordCheckRequest, type PasswordCheckResponse } from './password-check-protocol.js';
import { createPasswordChecker, PasswordCheckFailed, PasswordCheckSuperseded, type PasswordCheckPort } from './password-checker.js';

/**
 * A worker's message port run in this process by the worker's own handler; it answers when the
 * test says, so the test decides what is running and what waits.
 */
class HeldPort implements PasswordCheckPort {
  onmessage: ((event: MessageEvent<PasswordCheckResponse>) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly received: PasswordCheckRequest[] = [];
  isTerminated = false;

  postMessage(request: PasswordCheckRequest): void {
    this.received.push(request);
  }

  /** Answers the oldest request not yet answered, as the worker would. */
  async answerNext(): Promise<void> {
    const request = this.received[this.answered++];
    const response = await answerPasswordCheck(request);
    this.onmessage?.({ data: response } as MessageEvent<PasswordCheckResponse>);
  }

  failToStart(): void {
    this.onerror?.({ preventDefault: () => undefined } as Event);
  }

  terminate(): void {
    this.isTerminated = true;
  }

  private answered = 0;
}

function checkerWithPorts() {
  const ports: HeldPort[] = [];
  const check = createPasswordChecker(() => {
    const port = new HeldPort();
    ports.push(port);
    return port;
  });
  return { check, ports };
}

const STRONG = 'violet Lantern orbit 1334 marsh';
const WEAK = 'password1234';

describe('the password checker (the page side of the password-check worker)', () => {
  it('starts no worker before the first check, and answers each password with its own assessment', async () => {
    const { check, ports } = checkerWithPorts();
    expect(ports).toHaveLength(0);
    const strong = check(STRONG, []);
    await ports[0].answerNext();
    await expect(strong).resolves.toMatchObject({ isAcceptable: true, problems: [] });
    const weak = check(WEAK, []);
    await ports[0].answerNext();
    await expect(weak).resolves.toMatchObject({ isAcceptable: false });
    expect(ports).toHaveLength(1);
  });

  it('checks the same password and inputs once for every asker, and again when the inputs differ', async () => {
    const { check, ports } = checkerWithPorts();
    const first = check(STRONG, ['avery@example.org']);
    const second = check(STRONG, ['avery@example.org']);
    expect(second).toBe(first);
    await ports[0].answerNext();
    await first;
    expect(check(STRONG, ['avery@example.org'])).toBe(first);
    void check(STRONG, ['morgan@example.org']);
    expect(ports[0].received.map((request) => request.userInputs)).toEqual([['avery@example.org'], ['morgan@example.org']]);
  });

  it('runs one check at a time and lets only the newest password wait: typing during a check costs two checks', async () => {
    const { check, ports } = checkerWithPorts();
    const typed = ['violet', 'violet L', 'violet La', 'violet Lan', 'violet Lantern orbit 1334 marsh'];
    const answers = typed.map((password) => check(password, []));
    expect(ports[0].received.map((request) => request.password)).toEqual(['violet']);
    for (const superseded of answers.slice(1, -1)) await expect(superseded).rejects.toBeInstanceOf(PasswordCheckSuperseded);

    await ports[0].answerNext();
    await expect(answers[0]).resolves.toMatchObject({ isAcceptable: false });
    expect(ports[0].received.map((request) => request.password)).toEqual(['violet', STRONG]);
    await ports[0].answerNext();
    await expect(answers.at(-1)).resolves.toMatchObject({ isAcceptable: true });
    // A superseded password is not kept: asked again, it is checked.
    void check('violet Lan', []);
    expect(ports[0].received.map((request) => request.password)).toEqual(['violet', STRONG, 'violet Lan']);
  });

  it('fails the running and the waiting check when the worker cannot start, and starts a new worker for the next', async () => {
    const { check, ports } = checkerWithPorts();
    const running = check(STRONG, []);
    const waiting = check(WEAK, []);
    ports[0].failToStart();
    await expect(running).rejects.toBeInstanceOf(PasswordCheckFailed);
    await expect(waiting).rejects.toBeInstanceOf(PasswordCheckFailed);
    expect(ports[0].isTerminated).toBe(true);

    const again = check(STRONG, []);
    expect(ports).toHaveLength(2);
    await ports[1].answerNext();
    await expect(again).resolves.toMatchObject({ isAcceptable: true });
  });

  it('passes on a failure the worker answers with, and does not keep it', async () => {
    const { check, ports } = checkerWithPorts();
    const failing = check(STRONG, []);
    ports[0].onmessage?.({ data: { id: ports[0].received[0].id, ok: false, message: 'dictionaries did not load' } } as MessageEvent<PasswordCheckResponse>);
    await expect(failing).rejects.toThrow('dictionaries did not load');
    expect(check(STRONG, [])).not.toBe(failing);
  });
});
