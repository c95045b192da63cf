/**
 * docs/protocol.md is what a stranger writes a client from, so it names every route of the
 * contract (shared-types/src/routes.ts) by method and full path, as `METHOD /api/path`, and no
 * route the contract does not have. What each route takes and answers is checked against the
 * API by its own suite (backend/test); this keeps the document from leaving a route out.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { API_PREFIX, ROUTES } from '@phr/shared-types';

const PROTOCOL = path.resolve(import.meta.dirname, '../../docs/protocol.md');

/** Every `METHOD /api/…` the text names; a path ends where a character that no path of ours holds begins. */
function routesNamedIn(text: string): Set<string> {
  const named = [...text.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/api\/[A-Za-z0-9:/_-]*[A-Za-z0-9_-])/g)].map((match) => `${match[1]} ${match[2]}`);
  return new Set(named);
}

const CONTRACT = Object.values(ROUTES).map((route) => `${route.method} ${API_PREFIX}${route.path}`);

describe('docs/protocol.md against the routes of the contract', () => {
  const named = routesNamedIn(readFileSync(PROTOCOL, 'utf8'));

  it('names every route of shared-types/src/routes.ts by method and path', () => {
    expect(CONTRACT.filter((route) => !named.has(route))).toEqual([]);
  });

  it('names no route the contract does not have', () => {
    expect([...named].filter((route) => !CONTRACT.includes(route))).toEqual([]);
  });

  it('reads a route by its whole path: a longer path, another method or a path without the prefix does not name it', () => {
    const text = 'Use `POST /api/records/:id/trash`, then GET /api/records/:id. Also `DELETE /folders/:id` and PUT /api/me/client-state.';
    expect([...routesNamedIn(text)]).toEqual(['POST /api/records/:id/trash', 'GET /api/records/:id', 'PUT /api/me/client-state']);
    expect(routesNamedIn(text).has('DELETE /api/records/:id')).toBe(false);
    expect(routesNamedIn(text).has('DELETE /api/folders/:id')).toBe(false);
  });
});
