/**
 * The route client's own checks, without a server. The `@ts-expect-error` lines are the
 * compile-time half: `npm run typecheck` compiles this file (api-client/test/tsconfig.json) and
 * fails when a call the contract forbids stops being a type error. The client against a real API:
 * backend/test/api-client.spec.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { ROUTES } from '@phr/shared-types';
import { createRouteClient, pathOf, queryString, type RouteClient } from '@phr/api-client';

/** Calls the contract forbids: each line must stay a type error. Compiled, never run. */
export function forbiddenCalls(client: RouteClient, token: string): void {
  // @ts-expect-error: a body field the route does not take
  void client.send(ROUTES.prelogin, { body: { emial: 'a@b.org' } });
  // @ts-expect-error: a body of the wrong type
  void client.send(ROUTES.createFolder, { token, body: { name: 42 } });
  // @ts-expect-error: a body the route needs, left out
  void client.send(ROUTES.login, { token });
  // @ts-expect-error: getRecord needs params.id
  void client.send(ROUTES.getRecord, { token });
  // @ts-expect-error: a path parameter the route does not have
  void client.send(ROUTES.getRecord, { params: { recordId: 'x' }, token });
  // @ts-expect-error: limit is a number
  void client.send(ROUTES.listRecords, { query: { limit: 'ten' }, token });
  // @ts-expect-error: the route takes no body
  void client.send(ROUTES.me, { token, body: { id: 'x' } });
  void client.send(ROUTES.me, { token }).then((me) => {
    // @ts-expect-error: a field the answer's type does not have
    void me.body.passwordHash;
  });
  void client.send(ROUTES.listRecords, { token }).then((page) => {
    // @ts-expect-error: items are record summaries, which carry no segments
    void page.body.items[0].segments;
  });
  // The same calls, said to be unchecked, compile.
  void client.unchecked().send(ROUTES.prelogin, { body: { emial: 'a@b.org' } });
  void client.unchecked().send(ROUTES.listRecords, { query: { limit: 'ten' }, token });
}

describe('the route client', () => {
  it('substitutes and encodes each path parameter as one segment', () => {
    expect(pathOf(ROUTES.getRecord, { id: 'a/b?c#d' })).toBe('/records/a%2Fb%3Fc%23d');
    expect(pathOf(ROUTES.removeSecurityKey, { id: '../..' })).toBe('/account/security-keys/..%2F../remove');
    expect(pathOf(ROUTES.me)).toBe('/me');
  });

  it('refuses a missing or unknown path parameter', () => {
    expect(() => pathOf(ROUTES.getRecord, {})).toThrow('no value for path parameter "id"');
    expect(() => pathOf(ROUTES.me, { id: 'x' })).toThrow('has no path parameter id');
  });

  it('refuses a call without its path parameter before sending anything', async () => {
    const client = createRouteClient({ baseUrl: 'http://127.0.0.1:9' });
    // @ts-expect-error: getRecord needs params.id
    await expect(client.send(ROUTES.getRecord, { token: 'x' })).rejects.toThrow('no value for path parameter "id"');
  });

  it('leaves out undefined query values and repeats array values', () => {
    expect(queryString({ a: 'x y&z', b: undefined, c: 2, d: ['1', '2'] })).toBe('?a=x+y%26z&c=2&d=1&d=2');
    expect(queryString({})).toBe('');
  });
});
