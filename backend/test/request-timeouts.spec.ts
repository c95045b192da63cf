import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { testClient } from './support/http.js';
import { rawExchange } from './support/raw-socket.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** The API under test gives a client one second to send a whole request. */
const REQUEST_TIMEOUT_MS = 1_000;

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
    const exchange = await rawExchange(
      api.baseUrl,
      `POST ${API_PREFIX}${ROUTES.login.path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`,
    );
    expect(exchange.closedByServer).toBe(true);
    expect(exchange.answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers 408 and closes the socket when the headers never end', async () => {
    const exchange = await rawExchange(api.baseUrl, `GET ${API_PREFIX}${ROUTES.health.path} HTTP/1.1\r\nHost: localhost\r\nX-Slow: still-typ`);
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
    const exchange = await rawExchange(api.baseUrl, '');
    expect(exchange.closedByServer).toBe(true);
    expect(exchange.answer).toBe('');
  });
});
