/**
 * HTTP message framing (ASVS 5.0 4.2.1) and TRACE (13.4.4), on raw sockets: a client that
 * sends ambiguous lengths must not get a second request past the API (request smuggling,
 * where a proxy in front reads the lengths one way and the API another), and TRACE must not
 * echo a request back.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { rawExchange } from './support/raw-socket.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** The status codes of every answer the server wrote, in order (an answer follows the previous body directly). */
function statusesOf(answer: string): number[] {
  return [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
}

const PRELOGIN = `${API_PREFIX}${ROUTES.prelogin.path}`;
const LIVE = `${API_PREFIX}${ROUTES.liveness.path}`;
/** A complete second request, which must never be answered when it hides in the first one's body. */
const SMUGGLED = `GET ${LIVE} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;

describe('HTTP framing: no request smuggling, no TRACE', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('refuses a request with both Content-Length and Transfer-Encoding with 400, closes, and answers nothing smuggled after it', async () => {
    const result = await rawExchange(
      api.baseUrl,
      `POST ${PRELOGIN} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    );
    expect(result.closedByServer).toBe(true);
    expect(statusesOf(result.answer)).toEqual([400]);
  });

  it('refuses two different Content-Length values with 400 and closes', async () => {
    const body = '{"email":"a@example.test"}';
    const result = await rawExchange(
      api.baseUrl,
      `POST ${PRELOGIN} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: 2\r\n\r\n${body}${SMUGGLED}`,
    );
    expect(result.closedByServer).toBe(true);
    expect(statusesOf(result.answer)).toEqual([400]);
  });

  it('answers a well-framed request followed by another on the same connection, each once', async () => {
    const result = await rawExchange(api.baseUrl, `GET ${LIVE} HTTP/1.1\r\nHost: localhost\r\n\r\n${SMUGGLED}`);
    expect(result.closedByServer).toBe(true);
    expect(statusesOf(result.answer)).toEqual([200, 200]);
  });

  it('answers TRACE with 404 and echoes nothing of the request', async () => {
    const result = await rawExchange(api.baseUrl, `TRACE ${LIVE} HTTP/1.1\r\nHost: localhost\r\nX-Trace-Canary: c4n4ry-7f3a\r\nConnection: close\r\n\r\n`);
    expect(statusesOf(result.answer)).toEqual([404]);
    expect(result.answer).not.toContain('c4n4ry-7f3a');
  });
});
