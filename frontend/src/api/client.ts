/**
 * The typed client over the contract's route table. The access token lives in
 * memory only; the refresh token is an httpOnly cookie the page cannot read.
 * A 401 triggers one shared refresh, then the call is tried once more.
 */
import { API_PREFIX, ROUTES, type BodyOf, type ErrorResponse, type ParamsOf, type QueryOf, type RefreshResponse, type ResponseOf, type RouteDef } from '@phr/shared-types';
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
  let accessToken: string | null = null;
  let refreshing: Promise<boolean> | null = null;

  async function send<R extends AnyRoute>(route: R, options: CallOptions<R>): Promise<Response> {
    let path = route.path;
    for (const [name, value] of Object.entries<string>(options.params ?? {})) {
      path = path.replace(`:${name}`, encodeURIComponent(value));
    }
    const defined = Object.entries((options.query ?? {}) as Record<string, string | number | undefined>).filter(([, value]) => value !== undefined);
    const query = new URLSearchParams(defined.map(([name, value]) => [name, String(value)])).toString();
    const headers: Record<string, string> = {};
    const token = options.accessToken ?? accessToken;
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${API_PREFIX}${path}${query ? `?${query}` : ''}`, {
      method: route.method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
    });
  }

  /** One refresh at a time, shared by every call that saw a 401. */
  function refresh(): Promise<boolean> {
    refreshing ??= (async () => {
      const response = await send(ROUTES.refresh, {});
      if (!response.ok) return false;
      accessToken = ((await response.json()) as RefreshResponse).accessToken;
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
    if (!response.ok) throw await toApiError(response);
    if (response.status === 204) return undefined as ResponseOf<R>;
    // JSON answers are parsed; files (a CSV export) come back as text.
    if (!(response.headers.get('content-type') ?? '').includes('application/json')) return (await response.text()) as ResponseOf<R>;
    return (await response.json()) as ResponseOf<R>;
  }

  return { call, setAccessToken: (token) => (accessToken = token) };
}

async function toApiError(response: Response): Promise<ApiError> {
  let body: ErrorResponse;
  try {
    body = (await response.json()) as ErrorResponse;
  } catch {
    body = { statusCode: response.status, code: 'INTERNAL_ERROR', message: response.statusText || 'Request failed', requestId: '' };
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return new ApiError(response.status, body, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
}
