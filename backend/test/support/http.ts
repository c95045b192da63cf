/**
 * The API tests' client: the typed client of @phr/api-client, keeping cookies and sending the
 * portal's Origin like a browser on the portal. Calls name a route of the contract's table
 * (`client.send(ROUTES.getRecord, { params: { id }, token })`); a test that must send what the
 * contract forbids says so with `client.unchecked()`.
 */
import { browserLikeClient, type AnyRoute, type BrowserLikeClient } from '@phr/api-client';

export type { AnyRoute, RouteResult } from '@phr/api-client';

/** The portal's origin in the API suites (PORTAL_ORIGIN of every test app). */
export const TEST_PORTAL_ORIGIN = 'http://localhost:5173';

export type TestClient = BrowserLikeClient;

/** `origin`: the page the client poses as (the portal by default; null for a client that sends none). */
export function testClient(baseUrl: string, origin: string | null = TEST_PORTAL_ORIGIN): TestClient {
  return browserLikeClient(baseUrl, origin);
}

/** The path parameters of a route picked from the table by name in a loop: `{ id }` when its path has `:id`, none otherwise. */
export function idParams(route: AnyRoute, id: string): Record<string, string> {
  return Object.fromEntries([...route.path.matchAll(/:(\w+)/g)].map((match) => [match[1], id]));
}
