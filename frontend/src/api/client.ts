/**
 * The typed client over the contract's route table. The access token lives in
 * memory only; the refresh token is an httpOnly cookie the page cannot read.
 * A 401 triggers one shared refresh, then the call is tried once more.
 * Calls that rotate the refresh cookie run one at a time across the tabs of
 * this browser (Web Locks), so two tabs never present the same token at once
 * (docs/protocol.md "Lock, reload and new tabs"; the API also tolerates it).
 */
import { createRouteClient, type RouteResult, type SendOptions } from '@phr/api-client';
import { ROUTES, type BodyOf, type ErrorResponse, type ParamsOf, type QueryOf, type ResponseOf, type RouteDef } from '@phr/shared-types';
import { ApiError } from './api-error.js';

type AnyRoute = RouteDef<unknown, unknown, unknown, unknown>;

export interface CallOptions<R extends AnyRoute> {
  body?: BodyOf<R>;
  params?: ParamsOf<R>;
  query?: QueryOf<R>;
  /** A session's access token for this one call, before the portal has started that session (a sign-in it refuses). */
  accessToken?: string;
}

export interface ApiClient {
  call<R extends AnyRoute>(route: R, options?: CallOptions<R>): Promise<ResponseOf<R>>;
  setAccessToken(token: string | null): void;
}

export function createApiClient(onSessionLost: () => void): ApiClient {
  // The page's own origin: the browser keeps the refresh cookie and sends Origin itself.
  const routes = createRouteClient({ baseUrl: '', credentials: 'same-origin' });
  let accessToken: string | null = null;
  let refreshing: Promise<boolean> | null = null;

  function send<R extends AnyRoute>(route: R, options: CallOptions<R>): Promise<RouteResult<ResponseOf<R>>> {
    const { accessToken: callToken, ...request } = options;
    const token = callToken ?? accessToken ?? undefined;
    // CallOptions leaves params and body optional for every route; the route table's types hold at each caller of `call`.
    const sendNow = () => routes.send(route, ...([{ ...request, token }] as [SendOptions<R>]));
    return ROTATING_ROUTES.has(route) ? withRefreshCookie(sendNow) : sendNow();
  }

  /** One refresh at a time, shared by every call that saw a 401. */
  function refresh(): Promise<boolean> {
    refreshing ??= (async () => {
      const response = await send(ROUTES.refresh, {});
      if (!isSuccess(response)) return false;
      accessToken = response.body.accessToken;
      return true;
    })().finally(() => (refreshing = null));
    return refreshing;
  }

  async function call<R extends AnyRoute>(route: R, options: CallOptions<R> = {}): Promise<ResponseOf<R>> {
    let response = await send(route, options);
    const mayRefresh = accessToken !== null && route !== ROUTES.refresh && route !== ROUTES.login;
    if (response.status === 401 && mayRefresh) {
      if (await refresh()) response = await send(route, options);
      else onSessionLost();
    }
    if (!isSuccess(response)) throw toApiError(response);
    // JSON answers come parsed, files (a CSV export) as text, an empty answer (204) as undefined.
    return response.body;
  }

  return { call, setAccessToken: (token) => (accessToken = token) };
}

/** The routes whose answer replaces the refresh cookie the request brought. */
const ROTATING_ROUTES: ReadonlySet<AnyRoute> = new Set<AnyRoute>([ROUTES.refresh, ROUTES.unlock]);

/** The Web Lock every tab of this origin takes to present the refresh cookie. */
const REFRESH_LOCK = 'phr-refresh-cookie';

/**
 * Runs `work` while no other tab of this browser presents the refresh cookie: the
 * next tab then sends the cookie this one's answer set. Without Web Locks (older
 * browsers) the API's short grace for a just-rotated token keeps both tabs in.
 */
function withRefreshCookie<T>(work: () => Promise<T>): Promise<T> {
  if (typeof navigator === 'undefined' || !('locks' in navigator)) return work();
  return navigator.locks.request(REFRESH_LOCK, work);
}

function isSuccess(response: RouteResult<unknown>): boolean {
  return response.status >= 200 && response.status < 300;
}

function toApiError(response: RouteResult<unknown>): ApiError {
  const body: ErrorResponse = response.error ?? { statusCode: response.status, code: 'INTERNAL_ERROR', message: 'Request failed', requestId: '' };
  const retryAfter = Number(response.headers.get('retry-after'));
  return new ApiError(response.status, body, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
}
