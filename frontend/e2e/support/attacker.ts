/**
 * Someone who knows only an email: wrong keys (or recovery codes) straight at
 * the API, with no proof of work. Browsers reach the API through the portal's
 * proxy, so the API sees them at the attacker's own address, 127.0.0.1: the
 * owner sits behind the same address as the attacker, as behind a hospital NAT.
 */
import { randomBytes } from 'node:crypto';
import { API_PREFIX, ROUTES } from '@phr/shared-types';

export async function attack(email: string, attempts: number, route: 'login' | 'recoveryKeys' = 'login'): Promise<number[]> {
  const apiUrl = process.env.E2E_API_URL;
  if (!apiUrl) throw new Error('E2E_API_URL is not set: run the browser suite through Jest');
  const statuses: number[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    const secret = randomBytes(32).toString('base64url');
    const body = route === 'login' ? { email, authKey: secret } : { email, recoveryAuthKey: secret };
    const response = await fetch(`${apiUrl}${API_PREFIX}${ROUTES[route].path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    statuses.push(response.status);
  }
  return statuses;
}
