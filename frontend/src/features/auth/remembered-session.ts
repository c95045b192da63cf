/**
 * What a browser remembers of its session between page loads and across tabs
 * (docs/protocol.md "Lock, reload and new tabs"): the email of the account whose
 * session the httpOnly refresh cookie holds, so that a reload or a new tab shows a
 * lock screen that asks only for the password. Nothing secret (DESIGN 4.4): the
 * keys stay in the worker of the page that unlocked them, and die with it.
 */
export const REMEMBERED_SESSION_KEY = 'phr.session';

interface RememberedSession {
  email: string;
}

export function rememberedEmail(): string | null {
  try {
    const stored = JSON.parse(window.localStorage.getItem(REMEMBERED_SESSION_KEY) ?? 'null') as Partial<RememberedSession> | null;
    return typeof stored?.email === 'string' && stored.email !== '' ? stored.email : null;
  } catch {
    return null;
  }
}

export function rememberSession(email: string): void {
  try {
    window.localStorage.setItem(REMEMBERED_SESSION_KEY, JSON.stringify({ email } satisfies RememberedSession));
  } catch {
    // Storage refused (a private window's quota): the next reload asks for the email too.
  }
}

export function forgetSession(): void {
  try {
    window.localStorage.removeItem(REMEMBERED_SESSION_KEY);
  } catch {
    // Nothing was stored.
  }
}
