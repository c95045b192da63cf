import type { FastifyRequest } from 'fastify';
import type { ErrorResponse } from '@phr/shared-types';

/**
 * Refusals worth a log line (ASVS 7.1.3, 14.5.1): input that fails parsing or
 * validation, missing or bad tokens, forbidden routes, throttling, and
 * requests for routes or methods that do not exist. A 404 or 409 from a route
 * that exists is an ordinary answer (and audited where it concerns a patient).
 */
const LOGGED_STATUSES = new Set([400, 401, 403, 405, 413, 415, 429]);

/** Caps on what the caller controls, so one request cannot write a long line. */
const MAX_FIELDS = 20;
const MAX_NAME = 100;

export interface RefusalLogEntry {
  event: 'request.refused';
  requestId: string;
  method: string;
  /** The route's pattern (`/api/records/:id`), never the URL with its values; null when no route matched. */
  route: string | null;
  /** Only when no route matched: the path that was tried, without its query. */
  path?: string;
  status: number;
  code: string;
  /** Names of the fields that failed, never their values. */
  fields?: string[];
  /** The server's own wording of a 401 or 403 (which check refused). */
  reason?: string;
}

/**
 * The one log line of a refused request, or null when the answer is not a
 * refusal worth logging. Holds names only: no values, no body, no query, no
 * headers (tokens and keys travel in those).
 */
export function refusalLogEntry(request: FastifyRequest, body: ErrorResponse, reason?: string): RefusalLogEntry | null {
  const route = request.routeOptions?.url ?? null;
  const isUnknownRoute = route === null && body.statusCode === 404;
  if (!LOGGED_STATUSES.has(body.statusCode) && !isUnknownRoute) return null;
  const entry: RefusalLogEntry = { event: 'request.refused', requestId: body.requestId, method: request.method, route, status: body.statusCode, code: body.code };
  if (route === null) entry.path = request.url.split('?')[0].slice(0, MAX_NAME);
  if (body.fields?.length) entry.fields = [...new Set(body.fields.map((problem) => problem.field.slice(0, MAX_NAME)))].slice(0, MAX_FIELDS);
  if (reason && (body.statusCode === 401 || body.statusCode === 403)) entry.reason = reason;
  return entry;
}
