/**
 * The lying-server harness itself (support/lying-server.ts), without a browser: what it forwards
 * when the server behind it closes a kept-alive connection under a request.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LyingServer } from './support/lying-server.js';

/**
 * A server that answers the first request on each connection and keeps it alive, then resets the
 * connection at the next request on it, as a server whose idle timeout ran out while the request
 * was on its way.
 */
function closingServer(): Promise<{ server: net.Server; origin: string; connections: () => number }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    let requests = 0;
    let received = '';
    socket.on('data', (data) => {
      received += data.toString('latin1');
      while (received.includes('\r\n\r\n')) {
        received = received.slice(received.indexOf('\r\n\r\n') + 4);
        requests += 1;
        if (requests > 1) {
          socket.resetAndDestroy();
          return;
        }
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\nok');
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections })),
  );
}

/** One request through the proxy as Chromium sends it: the absolute URL, to the proxy's port. */
function throughProxy(proxyUrl: string, url: string, method = 'GET', body?: string): Promise<{ status: number; text: string }> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: proxy.hostname, port: proxy.port, method, path: url, agent: false, headers: body ? { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } : {} }, (answer) => {
      let text = '';
      answer.setEncoding('utf8');
      answer.on('data', (chunk: string) => (text += chunk));
      answer.on('end', () => resolve({ status: answer.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('lying-server harness', () => {
  let liar: LyingServer;
  let upstream: Awaited<ReturnType<typeof closingServer>>;

  beforeAll(async () => {
    liar = await LyingServer.start();
    upstream = await closingServer();
  });
  afterAll(async () => {
    await liar?.close();
    await new Promise((resolve) => upstream?.server.close(resolve));
  });

  it('sends a request without a body again on a new connection when its kept-alive one was reset, and the browser gets the answer', async () => {
    expect(await throughProxy(liar.proxyUrl, `${upstream.origin}/first.js`)).toEqual({ status: 200, text: 'ok' });
    expect(await throughProxy(liar.proxyUrl, `${upstream.origin}/second.js`)).toEqual({ status: 200, text: 'ok' });
    // The second went out on the first's connection, was reset, and went out again on a new one.
    expect(upstream.connections()).toBe(2);
  });

  it('does not send a request with a body twice: the browser is told it failed', async () => {
    expect(await throughProxy(liar.proxyUrl, `${upstream.origin}/prime`)).toEqual({ status: 200, text: 'ok' });
    const before = upstream.connections();
    const answer = await throughProxy(liar.proxyUrl, `${upstream.origin}/upload`, 'POST', 'a body');
    expect(answer.status).toBe(502);
    expect(answer.text).toMatch(/^lying server: /);
    expect(upstream.connections()).toBe(before);
  });
});
