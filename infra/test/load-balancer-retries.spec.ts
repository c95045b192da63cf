/**
 * What Caddy sends again when an API instance dies mid-request (infra/docker/api-load-balancing.caddy,
 * run as `npm start -- --instances N` runs it: infra/local/load-balancer.ts). The instances here
 * are stand-ins that answer their health check and then die on every other request, after
 * reading it whole, as an instance killed while it handles a request: the point is the
 * proxy's choice, which a real API cannot be made to die at exactly that moment for. The real
 * API under load with a killed instance: api-instances.spec.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { startLoadBalancer } from '../local/load-balancer.js';
import { freePort } from '../local/ports.js';
import { stopChild, type Child } from '../local/processes.js';
import { REPO_ROOT } from '../local/stack.js';

interface StandIn {
  host: string;
  /** Method and path of every request other than the health check, as received. */
  received: string[];
  /** Connections open to it now (the proxy keeps some alive after health checks). */
  openConnections(): number;
  close(): Promise<void>;
}

/** `dies`: reads each request whole, then drops the connection without a word; otherwise answers 200. */
async function standIn(dies: boolean): Promise<StandIn> {
  const received: string[] = [];
  const server = http.createServer((request, response) => {
    if (request.url === '/api/health') {
      response.end('{"status":"ok"}');
      return;
    }
    request.resume();
    request.on('end', () => {
      received.push(`${request.method} ${request.url}`);
      if (dies) request.socket.destroy();
      else response.end('{}');
    });
  });
  const open = new Set<Socket>();
  server.on('connection', (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${port}`,
    received,
    openConnections: () => open.size,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Caddy in front of API instances: what it sends again when an instance dies mid-request', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function balancer(upstreams: StandIn[]): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'phr-lb-'));
    const port = await freePort();
    const caddy: Child = await startLoadBalancer({ repoRoot: REPO_ROOT, dir, port, upstreams: upstreams.map((upstream) => upstream.host), log: () => undefined });
    cleanups.push(async () => {
      await stopChild(caddy);
      await rm(dir, { recursive: true, force: true });
    });
    return `http://127.0.0.1:${port}`;
  }

  async function standIns(...dying: boolean[]): Promise<StandIn[]> {
    const made = await Promise.all(dying.map(standIn));
    for (const upstream of made) cleanups.push(() => upstream.close());
    return made;
  }

  const received = (upstreams: StandIn[]) => upstreams.flatMap((upstream) => upstream.received);

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('answers a write (%s) that reached a dying instance with 502 and sends it to no other', async (method) => {
    const upstreams = await standIns(true, true, true);
    const url = await balancer(upstreams);

    const answer = await fetch(`${url}/api/records`, { method, body: method === 'DELETE' ? undefined : '{}', headers: { 'content-type': 'application/json' } });

    expect(answer.status).toBe(502);
    expect(received(upstreams)).toEqual([`${method} /api/records`]);
  }, 60_000);

  it.each(['GET', 'HEAD', 'OPTIONS'])('sends a read (%s) that reached a dying instance to the others, up to two more', async (method) => {
    const upstreams = await standIns(true, true, true);
    const url = await balancer(upstreams);

    const keptAlive = upstreams.map((upstream) => upstream.openConnections());
    const answer = await fetch(`${url}/api/records`, { method });

    // All three died on it: the client hears 502 only after each had its try. A try may deliver a
    // read more than once: Go's HTTP client (Caddy's transport) sends a read again, to the same
    // instance, when a kept-alive connection closes before any answer, as long as the next
    // connection it takes is a kept-alive one too (left by health checks and the start's wait), then once on a
    // new one. Never a write (above).
    expect(answer.status).toBe(502);
    expect(new Set(received(upstreams))).toEqual(new Set([`${method} /api/records`]));
    for (const upstream of upstreams) expect(upstream.received.length).toBeGreaterThanOrEqual(1);
    for (const [i, upstream] of upstreams.entries()) expect(upstream.received.length).toBeLessThanOrEqual(keptAlive[i] + 1);
  }, 60_000);

  it('answers every read with a live instance beside a dying one, and each write exactly once, where it landed', async () => {
    const upstreams = await standIns(true, false);
    const [dying, live] = upstreams;
    const url = await balancer(upstreams);

    for (let i = 0; i < 10; i++) expect((await fetch(`${url}/api/records/${i}`)).status).toBe(200);
    const writes = [];
    for (let i = 0; i < 10; i++) writes.push((await fetch(`${url}/api/writes/${i}`, { method: 'POST', body: '{}' })).status);

    // Each write reached one instance only: a 200 from the live one, or a 502 from the dying one.
    for (let i = 0; i < 10; i++) {
      const at = upstreams.filter((upstream) => upstream.received.includes(`POST /api/writes/${i}`));
      expect({ write: i, instances: at.length, status: writes[i] }).toEqual({ write: i, instances: 1, status: at[0] === live ? 200 : 502 });
    }
    // Every read the dying instance got was answered by the live one.
    const readsAtDying = dying.received.filter((line) => line.startsWith('GET'));
    for (const read of readsAtDying) expect(live.received).toContain(read);
  }, 60_000);
});
