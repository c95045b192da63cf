/**
 * infra/local/ports.ts: the free ports the tests and the embedded stack start servers on.
 * `freePortPair` is for a server that binds a port and the next (Ceph's monitor): once, on a
 * busy full run, the port after a `freePort` answer was taken by an outgoing connection, and the
 * monitor could not start.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { belowEphemeralPorts, freePort, freePortPair } from '../local/ports.js';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

const closeAll = (servers: net.Server[]) => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));

describe('free ports', () => {
  it('gives two consecutive ports below the ephemeral range, both of which can be listened on, and different pairs in a row', async () => {
    const pairs: number[] = [];
    for (let i = 0; i < 5; i++) pairs.push(await freePortPair());
    for (const port of pairs) expect(port + 1).toBeLessThan(ephemeralStart);
    // No two pairs share a port.
    expect(new Set(pairs.flatMap((port) => [port, port + 1])).size).toBe(10);
    await closeAll(await Promise.all(pairs.flatMap((port) => [listen(port), listen(port + 1)])));
  });

  it('never hands out a pair one of whose ports is taken: in a window where all but one pair are listened on, it finds that pair', async () => {
    const { lowest, highest } = belowEphemeralPorts();
    // A window of 20 ports below the ephemeral range that this test can hold, all but two of them.
    for (let base = lowest + 1_000; base + 20 < highest; base += 20) {
      const servers: net.Server[] = [];
      try {
        for (let port = base; port < base + 20; port++) if (port !== base + 10 && port !== base + 11) servers.push(await listen(port));
      } catch {
        // a port of this window is someone else's: try the next window
        await closeAll(servers);
        continue;
      }
      try {
        expect(await freePortPair({ lowest: base, highest: base + 19 })).toBe(base + 10);
        // Handed out once, the pair is not handed out again at once: nothing else is free here.
        await expect(freePortPair({ lowest: base, highest: base + 19 })).rejects.toThrow('No two consecutive free ports');
        return;
      } finally {
        await closeAll(servers);
      }
    }
    throw new Error('no window of 20 ports below the ephemeral range could be held');
  });

  it('gives a single free port that can be listened on', async () => {
    const server = await listen(await freePort());
    await new Promise((resolve) => server.close(resolve));
  });
});
