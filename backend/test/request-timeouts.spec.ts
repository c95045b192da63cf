import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { testClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** The API under test gives a client one second to send a whole request. */
const REQUEST_TIMEOUT_MS = 1_000;
/** Far above the limit and Node's checking interval, far below Jest's test timeout. */
const CLOSED_WITHIN_MS = 15_000;

interface StalledExchange {
  /** Everything the server wrote before it closed the socket. */
  answer: string;
  closedByServer: boolean;
}

/**
 * Opens a raw socket, writes `partialRequest` and then says nothing more, as a slow or
 * malicious client would. Resolves when the server closes the socket, or after the bound.
 */
function stallAfter(baseUrl: string, partialRequest: string): Promise<StalledExchange> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    let answer = '';
    const bound = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closedByServer: false });
    }, CLOSED_WITHIN_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(partialRequest));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', (error) => {
      clearTimeout(bound);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(bound);
      resolve({ answer, closedByServer: true });
    });
  });
}

describe('request timeouts: a client that stops sending cannot hold a connection', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp({ REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('takes its limits from the validated configuration', () => {
    expect(api.config.timeouts).toEqual({ requestMs: REQUEST_TIMEOUT_MS, connectionMs: 60_000, keepAliveMs: 72_000 });
  });

  it('answers 408 and closes the socket when a body stops halfway', async () => {
    const body = JSON.stringify({ email: 'slow@example.test', authKey: 'x'.repeat(64) });
    const exchange = await stallAfter(
      api.baseUrl,
      `POST ${API_PREFIX}${ROUTES.login.path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`,
    );
    expect(exchange.closedByServer).toBe(true);
    expect(exchange.answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers 408 and closes the socket when the headers never end', async () => {
    const exchange = await stallAfter(api.baseUrl, `GET ${API_PREFIX}${ROUTES.health.path} HTTP/1.1\r\nHost: localhost\r\nX-Slow: still-typ`);
    expect(exchange.closedByServer).toBe(true);
    expect(exchange.answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('still serves a client that sends its request whole', async () => {
    const response = await testClient(api.baseUrl).send(ROUTES.health);
    expect(response.status).toBe(200);
  });
});

describe('connection timeout: a socket that sends nothing is closed', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp({ CONNECTION_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('closes a connection that never starts a request', async () => {
    const exchange = await stallAfter(api.baseUrl, '');
    expect(exchange.closedByServer).toBe(true);
    expect(exchange.answer).toBe('');
  });
});
