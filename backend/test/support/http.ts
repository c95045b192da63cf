/** A small HTTP client for API tests: JSON in and out, cookies kept per client like a browser. */
import { API_PREFIX } from '@phr/shared-types';

export interface HttpResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Raw body string, sent as is (for malformed JSON). */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** The portal's origin in the API suites (PORTAL_ORIGIN of every test app). */
export const TEST_PORTAL_ORIGIN = 'http://localhost:5173';

export class HttpClient {
  /** Cookies this client holds, as a browser would (name → value). */
  readonly cookies = new Map<string, string>();

  /**
   * `origin`: what a browser on that page sends as `Origin` on every request but
   * GET and HEAD (the portal by default; null for a client that sends none).
   */
  constructor(
    private readonly baseUrl: string,
    private readonly origin: string | null = TEST_PORTAL_ORIGIN,
  ) {}

  get<T = unknown>(path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    return this.request<T>('GET', path, options);
  }

  post<T = unknown>(path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    return this.request<T>('POST', path, options);
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (this.origin && method !== 'GET' && method !== 'HEAD' && !('origin' in headers)) headers.origin = this.origin;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const cookieHeader = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (cookieHeader) headers.cookie = cookieHeader;
    const response = await fetch(`${this.baseUrl}${API_PREFIX}${path}`, { method, headers, body });
    this.storeCookies(response.headers);
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('application/json') && text) parsed = JSON.parse(text);
    return { status: response.status, body: parsed as T, headers: response.headers, text };
  }

  private storeCookies(headers: Headers): void {
    for (const setCookie of headers.getSetCookie()) {
      const [pair] = setCookie.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = /expires=Thu, 01 Jan 1970/i.test(setCookie) || /max-age=0/i.test(setCookie);
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}
