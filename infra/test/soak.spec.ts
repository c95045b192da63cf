/**
 * `npm run soak` end to end, briefly: half a minute of traffic against the whole product with
 * a fault every 12 s (the first, the API killed and restarted, at about 5 s), then the
 * consistency check. The soak itself fails (exit 1) when a committed record does not read
 * back, an object outlives the sweeps, a chain breaks, the audit rows differ from the
 * attempts, or the API answers something unexpected outside a fault.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('npm run soak', () => {
  it('runs mixed traffic through a killed API and more faults, and its consistency check passes', async () => {
    const args = ['--import', 'tsx', 'infra/bench/soak/soak.ts', '--seconds', '30', '--fault-every-seconds', '12', '--report-seconds', '15', '--patients', '3'];
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, env: process.env, maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
      throw new Error(`the soak exited with ${error.code}:\n${error.stdout ?? ''}\n${(error.stderr ?? '').slice(-4000)}`);
    });
    expect(stderr).toMatch(/fault api-kill at \d+ s: the API answered its health check again/);
    expect(stdout).toMatch(/\| api-kill \| \d+ \|/);
    expect(stdout).toMatch(/records read back and decrypted: (\d+) of \1 ok/);
    expect(stdout).toMatch(/0 pending uploads or deletions, 0 orphan objects/);
    expect(stdout).toMatch(/audit chains verified: [1-9]\d*, broken: 0/);
    expect(stdout).toMatch(/audit rows against attempts: [1-9]\d* \(subject, action\) pairs, .* 0 mismatched/);
    expect(stdout).toContain('Consistency check: PASS');
    // Traffic of every kind went through: uploads through pre-signed URLs, shares, doctors' reads, malformed requests refused.
    const routes = new Set([...stdout.matchAll(/^\| (.+?) \| [1-9]\d* \|/gm)].map((match) => match[1]));
    for (const route of ['S3 PUT segment', 'POST /records', 'POST /consents', 'GET /records/:id (doctor)', 'malformed: bad JSON']) expect(routes).toContain(route);
    expect(stderr).toContain('SOAK PASSED');
    // Its own limit: compiling the API, registering with the real KDF and key generation, 30 s of traffic and the sweeps' wait took ~2 min at a load average of 14–20.
  }, 400_000);
});
