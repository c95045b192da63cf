/**
 * One client for every caller of the API, typed by the contract's route table: a route's
 * path parameters, query, body and answer come from its entry in ROUTES, so a contract
 * change breaks each caller at compile time. The client substitutes and encodes path
 * parameters itself; no caller builds an API path by hand.
 */
import { API_PREFIX, type BodyOf, type ErrorResponse, type HttpMethod, type ParamsOf, type QueryOf, type ResponseOf, type RouteDef } from '@phr/shared-types';

export type AnyRoute = RouteDef<unknown, unknown, unknown, unknown>;

type NoParams = Record<string, never>;

interface CommonOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
}

type ParamsOption<R> = ParamsOf<R> extends NoParams ? { params?: NoParams } : { params: ParamsOf<R> };
type BodyOption<R> = [BodyOf<R>] extends [undefined] ? { body?: undefined } : { body: BodyOf<R> };

/** What a call of `route` takes: its path parameters and body when it has them, its query, a token. */
export type SendOptions<R extends AnyRoute> = CommonOptions & ParamsOption<R> & BodyOption<R> & { query?: QueryOf<R> };

/** The options argument may be left out only when the route needs none. */
export type SendArgs<R extends AnyRoute> = object extends SendOptions<R> ? [options?: SendOptions<R>] : [options: SendOptions<R>];

export interface RouteResult<T> {
  status: number;
  /**
   * The answer: parsed JSON, `undefined` for an empty answer (204), text otherwise (a CSV
   * export). Its type is the route's answer, which holds for a 2xx status; for any other
   * status read `error`.
   */
  body: T;
  /** The API's one error shape, when the status is not 2xx and the answer has that shape; otherwise null. */
  error: ErrorResponse | null;
  headers: Headers;
  /** The answer's bytes as text, as they came. */
  text: string;
}

/** Options of the unchecked client: anything may be sent, including what the contract forbids. */
export interface UncheckedOptions extends CommonOptions {
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
  /** Sent as written, as JSON unless a content-type header says otherwise (malformed JSON, other media types). */
  rawBody?: string;
}

/**
 * The explicit escape from the contract's types, for tests that must send what the contract
 * forbids (wrong types, extra or missing fields, raw strings): such a test says so by calling
 * `client.unchecked()`.
 */
export interface UncheckedClient {
  send<R extends AnyRoute>(route: R, options?: UncheckedOptions): Promise<RouteResult<ResponseOf<R>>>;
  /** A path that is no route of the table (an unknown route, a traversal attempt), below API_PREFIX, sent as written. */
  request(method: HttpMethod | 'HEAD' | 'OPTIONS', path: string, options?: UncheckedOptions): Promise<RouteResult<unknown>>;
}

export interface RouteClient {
  send<R extends AnyRoute>(route: R, ...args: SendArgs<R>): Promise<RouteResult<ResponseOf<R>>>;
  unchecked(): UncheckedClient;
  /** The cookies this client keeps, as a browser would (name → value); null when it keeps none (in a browser, the browser keeps them). */
  readonly cookies: Map<string, string> | null;
}

export interface RouteClientOptions {
  /** Where the API is served: the empty string for the page's own origin (the portal), `http://host:port` elsewhere. */
  baseUrl?: string;
  /** Sent as `Origin` on every request but GET and HEAD, as a browser on that page does (Node callers posing as the portal). */
  origin?: string | null;
  /** Keep cookies like a browser (Node callers that need the refresh cookie). */
  keepCookies?: boolean;
  /** fetch's `credentials` (the portal: same-origin). */
  credentials?: RequestCredentials;
}

/** A route's path with its parameters substituted, each encoded as one path segment. */
export function pathOf(route: AnyRoute, params: Record<string, string> = {}): string {
  const path = route.path.replace(/:([A-Za-z]+)/g, (_whole, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route.method} ${route.path}: no value for path parameter "${name}"`);
    return encodeURIComponent(value);
  });
  const unknown = Object.keys(params).filter((name) => !route.path.includes(`:${name}`));
  if (unknown.length > 0) throw new Error(`${route.method} ${route.path} has no path parameter ${unknown.join(', ')}`);
  return path;
}

/** A query string (with its `?`) from the defined values of `query`. */
export function queryString(query: Record<string, unknown> = {}): string {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) pairs.push([name, String(item)]);
  }
  const text = new URLSearchParams(pairs).toString();
  return text ? `?${text}` : '';
}

function isErrorResponse(value: unknown): value is ErrorResponse {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.statusCode === 'number' && typeof candidate.code === 'string' && typeof candidate.message === 'string';
}

export function createRouteClient(options: RouteClientOptions = {}): RouteClient {
  const baseUrl = options.baseUrl ?? '';
  const origin = options.origin ?? null;
  const cookies = options.keepCookies ? new Map<string, string>() : null;

  async function request(method: string, pathAndQuery: string, call: UncheckedOptions): Promise<RouteResult<unknown>> {
    const headers: Record<string, string> = { ...call.headers };
    if (call.token) headers.authorization = `Bearer ${call.token}`;
    if (origin && method !== 'GET' && method !== 'HEAD' && !('origin' in headers)) headers.origin = origin;
    let body: string | undefined;
    if (call.rawBody !== undefined) body = call.rawBody;
    else if (call.body !== undefined) body = JSON.stringify(call.body);
    if (body !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json';
    if (cookies && cookies.size > 0 && !('cookie' in headers)) headers.cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${baseUrl}${API_PREFIX}${pathAndQuery}`, { method, headers, body, credentials: options.credentials });
    if (cookies) storeCookies(cookies, response.headers);
    const text = await response.text();
    let parsed: unknown = text === '' ? undefined : text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    const error = !response.ok && isErrorResponse(parsed) ? parsed : null;
    return { status: response.status, body: parsed, error, headers: response.headers, text };
  }

  const unchecked: UncheckedClient = {
    // Async, so that a missing path parameter rejects the call's promise instead of throwing.
    send: async (route, call = {}) =>
      request(route.method, `${pathOf(route, call.params)}${queryString(call.query)}`, call) as Promise<RouteResult<ResponseOf<typeof route>>>,
    request: (method, path, call = {}) => request(method, `${path}${queryString(call.query)}`, call),
  };

  return {
    send: <R extends AnyRoute>(route: R, ...[call]: SendArgs<R>) => unchecked.send(route, (call ?? {}) as UncheckedOptions) as Promise<RouteResult<ResponseOf<R>>>,
    unchecked: () => unchecked,
    cookies,
  };
}

/** Keeps the cookies of a `Set-Cookie` answer, and forgets those it expires. */
function storeCookies(cookies: Map<string, string>, headers: Headers): void {
  for (const setCookie of headers.getSetCookie()) {
    const [pair] = setCookie.split(';');
    const separator = pair.indexOf('=');
    const name = pair.slice(0, separator).trim();
    const value = pair.slice(separator + 1).trim();
    const expired = /expires=Thu, 01 Jan 1970/i.test(setCookie) || /max-age=0/i.test(setCookie);
    if (expired || value === '') cookies.delete(name);
    else cookies.set(name, value);
  }
}

/** A client that keeps cookies and sends its page's Origin as a browser does: Node callers acting as a portal page (tests, benchmarks, the scan). */
export interface BrowserLikeClient extends RouteClient {
  readonly cookies: Map<string, string>;
}

/** `origin`: what a browser on that page sends as `Origin` on every request but GET and HEAD (null: none). */
export function browserLikeClient(baseUrl: string, origin: string | null): BrowserLikeClient {
  const client = createRouteClient({ baseUrl, origin, keepCookies: true });
  return { ...client, cookies: client.cookies ?? new Map<string, string>() };
}
