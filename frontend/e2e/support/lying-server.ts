/**
 * The lying-server harness (issue 12): an HTTP proxy that Chromium sends every
 * request through (support/browser.ts `proxyUrl`). It forwards honestly,
 * until a test tells it a lie: then it rewrites the API's answers on their
 * way to the browser, as a server that controls its own answers would (a
 * swapped key, a forked log, a rewritten trail, weaker KDF parameters). What
 * the portal must do is catch each lie in the browser.
 *
 * Only the API's JSON answers under /api are rewritten; everything else (the
 * portal's modules, the object store) passes as it is. Every API request is
 * recorded, so a test can say one was never made. A websocket is not proxied
 * (Chromium asks for it with CONNECT, which is refused): the dev server's
 * hot-reload socket fails to connect, which the portal does not need, and no
 * change to a source file reloads a page under a test.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { noteBrowserEvent } from './diagnostics.js';

/** One answer of the API on its way to the browser. */
export interface Exchange {
  method: string;
  /** The path under /api, e.g. "/key-directory/head". */
  path: string;
  query: URLSearchParams;
  status: number;
  body: unknown;
  /**
   * A GET of the API by the lying server itself, with the browser's own
   * credentials (what a server can always do): to build a consistent lie.
   */
  ask<T>(pathAndQuery: string): Promise<T>;
}

export interface Lie {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Matched against the path under /api. */
  path: RegExp;
  /** The body the browser gets instead. */
  tell(exchange: Exchange, match: RegExpMatchArray): unknown;
  /** The status the browser gets, for an answer the real API could not give (a proof for a tree it does not have); else the API's. */
  status?: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  /** The status the browser got; 0 until the answer came. */
  status: number;
}

const API_PREFIX = '/api';
const HOP_BY_HOP = new Set(['proxy-connection', 'proxy-authorization', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardedHeaders(request: IncomingMessage, withoutEncoding: boolean): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (HOP_BY_HOP.has(name) || (withoutEncoding && name === 'accept-encoding')) continue;
    headers[name] = value;
  }
  return headers;
}

export class LyingServer {
  /** Every API request the browser made through the proxy, in order. */
  readonly requests: SeenRequest[] = [];
  private lies: Lie[] = [];

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<LyingServer> {
    const server = http.createServer();
    const liar = new LyingServer(server);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      liar.handle(request, response).catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        noteBrowserEvent('lying server', `${request.method ?? 'GET'} ${request.url ?? ''} answered 502: ${reason}`);
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`lying server: ${reason}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return liar;
  }

  /** Where Chromium sends its requests (openBrowser({ proxyUrl })). */
  get proxyUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on, these lies too. */
  tell(...lies: Lie[]): void {
    this.lies.push(...lies);
  }

  /** No more lies. */
  beHonest(): void {
    this.lies = [];
  }

  /** API requests seen since index `since` (take `requests.length` before the step). */
  requestsSince(since: number): SeenRequest[] {
    return this.requests.slice(since);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // A proxy request carries the absolute URL.
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? 'localhost'}`);
    const isApi = url.pathname.startsWith(`${API_PREFIX}/`);
    const path = isApi ? url.pathname.slice(API_PREFIX.length) : url.pathname;
    const seen: SeenRequest = { method: request.method ?? 'GET', path, status: 0 };
    if (isApi) this.requests.push(seen);
    const lies = isApi ? this.lies.filter((lie) => lie.method === request.method && lie.path.test(path)) : [];

    const answer = await forward(url, request, forwardedHeaders(request, lies.length > 0));
    const contentType = String(answer.headers['content-type'] ?? '');
    seen.status = answer.statusCode ?? 0;
    if (lies.length === 0 || !contentType.includes('application/json')) {
      response.writeHead(answer.statusCode ?? 502, answer.statusMessage, stripHopByHop(answer.headers));
      answer.pipe(response);
      return;
    }

    const chunks: Buffer[] = [];
    for await (const chunk of answer) chunks.push(chunk as Buffer);
    let body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const exchange = (current: unknown): Exchange => ({
      method: request.method ?? 'GET',
      path,
      query: url.searchParams,
      status: answer.statusCode ?? 0,
      body: current,
      ask: (pathAndQuery) => askApi(url.origin, request, pathAndQuery),
    });
    let status = answer.statusCode ?? 502;
    for (const lie of lies) {
      const match = lie.path.exec(path) as RegExpMatchArray;
      body = await lie.tell(exchange(body), match);
      status = lie.status ?? status;
    }
    seen.status = status;
    const text = JSON.stringify(body);
    const headers = stripHopByHop(answer.headers);
    delete headers['content-length'];
    delete headers['content-encoding'];
    delete headers.etag;
    response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
    response.end(text);
  }
}

/**
 * Sends the browser's request on, over a kept-alive connection when one is free. A request that
 * carries no body is sent again once on a new connection if the one it was given had been closed
 * by the server meanwhile (Node's advice for `reusedSocket`), as Chromium itself does. Node's agent
 * stops reusing a connection a second before the server's advertised idle timeout, so this is
 * rare; but a portal module answered 502 leaves a blank page, and the test fails far from why.
 */
async function forward(url: URL, request: IncomingMessage, headers: http.OutgoingHttpHeaders): Promise<IncomingMessage> {
  const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  const send = (agent?: http.Agent) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const upstream = http.request(url, { method: request.method, headers, ...(agent ? { agent } : {}) });
      upstream.on('response', resolve);
      upstream.on('error', (error: NodeJS.ErrnoException) => reject(Object.assign(error, { reusedSocket: upstream.reusedSocket })));
      if (hasBody) request.pipe(upstream);
      else upstream.end();
    });
  try {
    return await send();
  } catch (error) {
    const { reusedSocket, code } = error as NodeJS.ErrnoException & { reusedSocket: boolean };
    if (hasBody || !reusedSocket || code !== 'ECONNRESET') throw error;
    noteBrowserEvent('lying server', `${request.method ?? 'GET'} ${url.pathname} sent again: its kept-alive connection had been closed`);
    return send(new http.Agent({ keepAlive: false }));
  }
}

function stripHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

async function askApi<T>(origin: string, request: IncomingMessage, pathAndQuery: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.headers.authorization) headers.authorization = request.headers.authorization;
  const answer = await fetch(`${origin}${API_PREFIX}${pathAndQuery}`, { headers });
  if (!answer.ok) throw new Error(`GET ${pathAndQuery} answered ${answer.status}`);
  return (await answer.json()) as T;
}
