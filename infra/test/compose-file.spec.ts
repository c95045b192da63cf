/**
 * docker-compose.yml checked without a Docker engine (none runs where the tests run): every
 * image it pulls, the base images of what it builds included, is pinned to an exact version
 * and a digest, none comes from a repository that is gone (MinIO's), and its services,
 * volumes, health checks and files refer to each other. What was and was not run for Compose:
 * infra/docker/README.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

import {
  boundPaths,
  dependencies,
  dockerfileOf,
  fromLines,
  hasHealthcheck,
  namedVolumes,
  pinningProblems,
  pulledImages,
  readCompose,
  readComposeOverlay,
  readRepoFile,
  REPO_ROOT,
  repoFileExists,
} from './support/compose-file.js';

const compose = readCompose(readRepoFile('docker-compose.yml'));
const services = Object.entries(compose.services);

describe('docker-compose.yml: images', () => {
  const images = pulledImages(compose);

  it('finds the images Compose pulls, the base images of its builds included (the parser reads the real files)', () => {
    const repositories = images.map((use) => use.reference.split(/[:@]/)[0]);
    expect(repositories).toEqual(expect.arrayContaining(['postgres', 'quay.io/ceph/ceph', 'node', 'caddy']));
  });

  it('pins every image to an exact version and a sha256 digest, and takes none from a repository that is gone', () => {
    const problems = images.map((use) => ({ ...use, problems: pinningProblems(use.reference) })).filter((use) => use.problems.length > 0);
    expect(problems).toEqual([]);
  });

  it.each([
    ['minio/minio:latest', ['minio/minio is gone (no image can be pulled from it)', 'tag latest', 'no digest']],
    ['minio/mc:RELEASE.2025-08-13T08-35-41Z@sha256:' + 'a'.repeat(64), ['minio/mc is gone (no image can be pulled from it)', 'tag RELEASE.2025-08-13T08-35-41Z is not an exact version']],
    ['quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z', ['minio/minio is gone (no image can be pulled from it)', 'tag RELEASE.2025-09-07T16-13-09Z is not an exact version', 'no digest']],
    ['postgres:17-alpine', ['tag 17-alpine is not an exact version', 'no digest']],
    ['caddy:2-alpine@sha256:' + 'b'.repeat(64), ['tag 2-alpine is not an exact version']],
    ['node:20.20.2-bookworm-slim', ['no digest']],
    ['postgres', ['no tag', 'no digest']],
    ['postgres:17.11-alpine@sha256:short', ['digest sha256:short is not a sha256 digest']],
    ['postgres:17.11-alpine@sha256:' + 'c'.repeat(64), []],
  ])('flags %s with %j', (reference, expected) => {
    expect(pinningProblems(reference)).toEqual(expected);
  });

  it('reads FROM lines as Docker does: build stages are not images, --platform is not one', () => {
    expect(fromLines('FROM --platform=$BUILDPLATFORM node:20.20.2-bookworm-slim@sha256:x AS build\nRUN true\nFROM build AS again\nfrom caddy:2.11.4-alpine\n')).toEqual([
      'node:20.20.2-bookworm-slim@sha256:x',
      'caddy:2.11.4-alpine',
    ]);
  });
});

describe('docker-compose.yml: services, volumes and files refer to each other', () => {
  it.each(services)('%s depends only on services that exist, and waits for health only where there is a health check', (name, service) => {
    for (const dependency of dependencies(service)) {
      expect({ service: name, dependsOn: dependency.name, exists: dependency.name in compose.services }).toEqual({ service: name, dependsOn: dependency.name, exists: true });
      if (dependency.condition === 'service_healthy') {
        expect({ service: name, waitsForHealthOf: dependency.name, hasHealthcheck: hasHealthcheck(compose, dependency.name) }).toEqual({
          service: name,
          waitsForHealthOf: dependency.name,
          hasHealthcheck: true,
        });
      }
      expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(dependency.condition);
    }
  });

  it('declares every named volume it mounts, and mounts every volume it declares', () => {
    const mounted = new Set(services.flatMap(([, service]) => namedVolumes(service)));
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    expect([...mounted].sort()).toEqual([...declared].sort());
  });

  it('bind-mounts and builds only files that exist in the repository', () => {
    const files = services.flatMap(([, service]) => [...boundPaths(service), ...(service.build ? [dockerfileOf(service)] : [])]);
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((file) => !repoFileExists(file))).toEqual([]);
  });

  it('has no service left from the MinIO-based stack', () => {
    expect(Object.keys(compose.services).filter((name) => /minio/i.test(name))).toEqual([]);
    expect(Object.keys(compose.volumes ?? {}).filter((name) => /minio/i.test(name))).toEqual([]);
  });
});

/**
 * Several API instances (issue 17): api-1, api-2 and api-3 behind Caddy, which balances them,
 * checks their health and retries only what is safe to send twice. Docker does not run here:
 * the Caddyfile is checked as Caddy reads it (Debian's `caddy adapt` and `caddy validate`, with
 * the environment Compose gives the web service).
 */
describe('docker-compose.yml: several API instances behind Caddy', () => {
  const apiNames = Object.keys(compose.services).filter((name) => /^api-\d+$/.test(name));
  const web = compose.services.web;
  const webEnvironment: Record<string, string> = Array.isArray(web.environment)
    ? Object.fromEntries(web.environment.map((line): [string, string] => [line.split('=')[0], line.slice(line.indexOf('=') + 1)]))
    : (web.environment ?? {});

  /** The JSON Caddy makes of a Caddyfile, with the given environment (placeholders {$NAME}). */
  function adapted(caddyfile: string, environment: Record<string, string>): CaddyConfig {
    const home = mkdtempSync(path.join(os.tmpdir(), 'phr-caddy-adapt-'));
    try {
      const env = { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: path.join(home, 'data'), XDG_CONFIG_HOME: path.join(home, 'config'), ...environment };
      const adaptation = spawnSync('caddy', ['adapt', '--config', path.join(REPO_ROOT, caddyfile), '--adapter', 'caddyfile'], { env, encoding: 'utf8' });
      if (adaptation.status !== 0) throw new Error(`caddy adapt ${caddyfile} failed (is Debian's caddy installed?): ${adaptation.error?.message ?? adaptation.stderr}`);
      // validate provisions every module (matchers, health checkers, the transport) as `caddy run` would.
      const validation = spawnSync('caddy', ['validate', '--config', path.join(REPO_ROOT, caddyfile), '--adapter', 'caddyfile'], { env, encoding: 'utf8' });
      if (validation.status !== 0) throw new Error(`caddy validate ${caddyfile} failed: ${validation.stderr}`);
      return JSON.parse(adaptation.stdout) as CaddyConfig;
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }

  it('runs three identical API instances, each restarted when it dies and health-checked by its image', () => {
    expect(apiNames).toEqual(['api-1', 'api-2', 'api-3']);
    expect(compose.services.api).toBeUndefined();
    for (const name of apiNames) {
      expect(compose.services[name]).toEqual(compose.services['api-1']);
      expect({ name, image: compose.services[name].image, restart: compose.services[name].restart, healthy: hasHealthcheck(compose, name) }).toEqual({
        name,
        image: 'phr-api',
        restart: 'unless-stopped',
        healthy: true,
      });
    }
  });

  it('points Caddy at every instance and starts it once each is healthy', () => {
    expect(String(webEnvironment.PHR_API_UPSTREAM).split(/\s+/)).toEqual(apiNames.map((name) => `${name}:3000`));
    expect(dependencies(web).filter((dependency) => dependency.name.startsWith('api'))).toEqual(apiNames.map((name) => ({ name, condition: 'service_healthy' })));
  });

  it('copies every file the Caddyfile imports into the web image, next to it', () => {
    const imports = [...readRepoFile('infra/docker/Caddyfile').matchAll(/^\s*import\s+(\S+\.caddy)\s*$/gm)].map((match) => match[1]);
    expect(imports).toEqual(['api-load-balancing.caddy']);
    for (const file of imports) expect(readRepoFile('infra/docker/web.Dockerfile')).toContain(`COPY infra/docker/${file} /etc/caddy/${file}`);
  });

  const cases: Array<[string, string, Record<string, string>, string[]]> = [
    ['Compose (infra/docker/Caddyfile)', 'infra/docker/Caddyfile', { ...webEnvironment, PHR_PORTAL_ROOT: os.tmpdir() }, ['api-1:3000', 'api-2:3000', 'api-3:3000']],
    [
      'npm start -- --instances 3 (infra/local/load-balancer.Caddyfile)',
      'infra/local/load-balancer.Caddyfile',
      { PHR_LB_PORT: '18080', PHR_API_UPSTREAM: '127.0.0.1:3001 127.0.0.1:3002 127.0.0.1:3003' },
      ['127.0.0.1:3001', '127.0.0.1:3002', '127.0.0.1:3003'],
    ],
  ];
  it.each(cases)('%s: balances the instances, checks their health actively and passively, and retries reads only', (_name, caddyfile, environment, upstreams) => {
    const proxies = reverseProxies(adapted(caddyfile, environment)).filter((proxy) => proxy.upstreams.some((upstream) => upstreams.includes(upstream.dial)));
    expect(proxies).toHaveLength(1);
    const [api] = proxies;
    expect(api.upstreams.map((upstream) => upstream.dial)).toEqual(upstreams);
    expect(['round_robin', 'least_conn']).toContain(api.load_balancing?.selection_policy?.policy);
    expect(api.load_balancing?.retries).toBeGreaterThan(0);
    expect(api.load_balancing?.try_duration).toBeGreaterThan(0);
    // Sent requests are retried only if they are reads: never a POST, PATCH, PUT or DELETE that the dead instance may have committed.
    expect(api.load_balancing?.retry_match?.flatMap((matcher) => matcher.method ?? []).sort()).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(api.health_checks?.active).toMatchObject({ uri: '/api/health', expect_status: 2 });
    expect(api.health_checks?.active?.interval).toBeGreaterThan(0);
    expect(api.health_checks?.passive?.fail_duration).toBeGreaterThan(0);
    // Idle connections end on Caddy's side before the API's keep-alive (72 s) ends them.
    expect(api.transport?.keep_alive?.idle_timeout).toBeLessThan(72_000_000_000);
  });
});

interface ReverseProxy {
  handler: 'reverse_proxy';
  upstreams: Array<{ dial: string }>;
  load_balancing?: { selection_policy?: { policy?: string }; retries?: number; try_duration?: number; retry_match?: Array<{ method?: string[] }> };
  health_checks?: { active?: { uri?: string; expect_status?: number; interval?: number }; passive?: { fail_duration?: number } };
  transport?: { keep_alive?: { idle_timeout?: number } };
}
type CaddyConfig = Record<string, unknown>;

/** Every reverse_proxy handler anywhere in Caddy's JSON (routes nest in subroutes). */
function reverseProxies(node: unknown): ReverseProxy[] {
  if (Array.isArray(node)) return node.flatMap(reverseProxies);
  if (typeof node !== 'object' || node === null) return [];
  const own = (node as { handler?: string }).handler === 'reverse_proxy' ? [node as ReverseProxy] : [];
  return [...own, ...Object.values(node).flatMap(reverseProxies)];
}

describe('docker-compose.failover.yml: PostgreSQL with automatic failover, laid over docker-compose.yml', () => {
  const overlay = readComposeOverlay(readRepoFile('docker-compose.failover.yml'));
  const added = Object.entries(overlay.services).filter(([name]) => !(name in compose.services));

  it('adds a pg_auto_failover monitor and two nodes, built from a pinned base, and keeps the single server from starting', () => {
    expect(added.map(([name]) => name)).toEqual(['pg-monitor', 'pg-node1', 'pg-node2']);
    const images = pulledImages({ services: Object.fromEntries(added) });
    expect(images.map((use) => use.where)).toEqual(['infra/docker/pg-auto-failover/Dockerfile (built by pg-monitor)']);
    expect(images.flatMap((use) => pinningProblems(use.reference))).toEqual([]);
    expect(overlay.services.postgres.profiles).toEqual(['single-postgres']);
  });

  it('leaves no service waiting for the single server, and waits only for services with health checks', () => {
    const merged = { ...compose.services, ...Object.fromEntries(added) };
    for (const [name, service] of Object.entries(merged)) {
      // A dependency the overlay gives replaces the base file's (`!override`).
      const dependsOn = dependencies(overlay.services[name]?.depends_on ? overlay.services[name] : service);
      if (name === 'postgres') continue;
      for (const dependency of dependsOn) {
        expect({ service: name, dependsOn: dependency.name }).not.toEqual({ service: name, dependsOn: 'postgres' });
        expect(dependency.name in merged).toBe(true);
        if (dependency.condition === 'service_healthy') expect({ waitsFor: dependency.name, health: hasHealthcheck({ services: merged }, dependency.name) }).toEqual({ waitsFor: dependency.name, health: true });
      }
    }
  });

  it('gives every API instance and the migration step both nodes, in the multi-host form the API reads', () => {
    const instances = Object.keys(compose.services).filter((name) => /^api-\d+$/.test(name));
    expect(instances.length).toBeGreaterThan(0);
    for (const name of instances) {
      expect({ name, url: overlay.services[name]?.environment?.DATABASE_URL }).toEqual({
        name,
        url: 'postgres://phr_app:${PHR_APP_PASSWORD}@pg-node1:5432,pg-node2:5432/phr?target_session_attrs=read-write',
      });
    }
    expect(overlay.services.migrate.environment?.DATABASE_MIGRATION_URL).toMatch(/@pg-node1:5432,pg-node2:5432\/phr\?/);
  });

  it('mounts only volumes it declares, and builds only files that exist', () => {
    const mounted = new Set(added.flatMap(([, service]) => namedVolumes(service)));
    expect([...mounted].sort()).toEqual(Object.keys(overlay.volumes ?? {}).sort());
    expect(repoFileExists('infra/docker/pg-auto-failover/entrypoint.sh')).toBe(true);
  });
});
