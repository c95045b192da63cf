/**
 * docker-compose.yml checked without a Docker engine (none runs where the tests run): every
 * image it pulls, the base images of what it builds included, is pinned to an exact version
 * and a digest, none comes from a repository that is gone (MinIO's), and its services,
 * volumes, health checks and files refer to each other. What was and was not run for Compose:
 * infra/docker/README.md.
 */
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
  readRepoFile,
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
