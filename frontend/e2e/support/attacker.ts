/**
 * Someone who knows only an email: wrong keys (or recovery codes) straight at
 * the API, with no proof of work. Browsers reach the API through the portal's
 * proxy, so the API sees them at the attacker's own address, 127.0.0.1: the
 * owner sits behind the same address as the attacker, as behind a hospital NAT.
 */
import { randomBytes } from 'node:crypto';
import { createRouteClient } from '@phr/api-client';
import { ROUTES } from '@phr/shared-types';

export async function attack(email: string, attempts: number, route: 'login' | 'recoveryKeys' = 'login'): Promise<number[]> {
  const apiUrl = process.env.E2E_API_URL;
  if (!apiUrl) throw new Error('E2E_API_URL is not set: run the browser suite through Jest');
  const client = createRouteClient({ baseUrl: apiUrl });
  const statuses: number[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    const secret = randomBytes(32).toString('base64url');
    const response =
      route === 'login'
        ? await client.send(ROUTES.login, { body: { email, authKey: secret } })
        : await client.send(ROUTES.recoveryKeys, { body: { email, recoveryAuthKey: secret } });
    statuses.push(response.status);
  }
  return statuses;
}
