/**
 * Reads docker-compose.yml (and the Dockerfiles it builds) as Compose would, for checks that
 * need no Docker engine: every image pinned to an exact version and a digest, no image from a
 * repository known to be gone, and services, volumes, health checks and files that refer to
 * each other. infra/test/compose-file.spec.ts runs them on the real files.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * Repositories whose images can no longer be pulled: MinIO's community images (Docker Hub
 * refuses every pull since September 2026; quay.io's last one predates CVE-2025-62506's fix).
 */
export const GONE_REPOSITORIES = ['minio/minio', 'minio/mc'];

export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  entrypoint?: string[] | string;
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * A file laid over docker-compose.yml with `-f` (docker-compose.failover.yml): YAML merge keys
 * (`<<: *anchor`) as Compose applies them, and Compose's `!override`/`!reset` tags read as the
 * value they carry.
 */
export function readComposeOverlay(text: string): ComposeFile & { services: Record<string, ComposeService & { profiles?: string[]; environment?: Record<string, string> }> } {
  const tags = ['!override', '!reset'].flatMap((tag) => (['map', 'seq'] as const).map((collection) => ({ tag, collection, resolve: (value: unknown) => value })));
  const parsed = parse(text, { merge: true, customTags: tags }) as ReturnType<typeof readComposeOverlay> | null;
  if (!parsed || typeof parsed.services !== 'object') throw new Error('the overlay has no services');
  return parsed;
}

export function readCompose(text: string): ComposeFile {
  const parsed = parse(text) as ComposeFile | null;
  if (!parsed || typeof parsed.services !== 'object') throw new Error('docker-compose.yml has no services');
  return parsed;
}

/** Where an image reference comes from: a service's `image:` or a Dockerfile's FROM. */
export interface ImageUse {
  where: string;
  reference: string;
}

/** The images Compose pulls: `image:` of services that build nothing, and the FROM lines of what they build. */
export function pulledImages(compose: ComposeFile, readFile: (relative: string) => string = readRepoFile): ImageUse[] {
  const uses: ImageUse[] = [];
  const built = new Set(Object.values(compose.services).filter((service) => service.build && service.image).map((service) => service.image));
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.build) {
      const dockerfile = dockerfileOf(service);
      uses.push(...fromLines(readFile(dockerfile)).map((reference) => ({ where: `${dockerfile} (built by ${name})`, reference })));
    } else if (service.image && !built.has(service.image)) {
      uses.push({ where: `service ${name}`, reference: service.image });
    } else if (!service.image) {
      uses.push({ where: `service ${name}`, reference: '' });
    }
  }
  return uses;
}

export function dockerfileOf(service: ComposeService): string {
  const build = typeof service.build === 'string' ? { context: service.build } : (service.build ?? {});
  return path.normalize(path.join(build.context ?? '.', build.dockerfile ?? 'Dockerfile'));
}

/** The images of a Dockerfile's FROM lines, build stages named earlier in the file left out. */
export function fromLines(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const line of dockerfile.split('\n')) {
    const match = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!match) continue;
    if (!stages.has(match[1])) images.push(match[1]);
    if (match[2]) stages.add(match[2]);
  }
  return images;
}

/** Why a reference is not pinned (an exact version and a sha256 digest), or from a gone repository; empty when fine. */
export function pinningProblems(reference: string): string[] {
  if (!reference) return ['no image'];
  const problems: string[] = [];
  const [nameAndTag, digest] = reference.split('@');
  const lastSlash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.indexOf(':', lastSlash + 1);
  const repository = colon === -1 ? nameAndTag : nameAndTag.slice(0, colon);
  const tag = colon === -1 ? undefined : nameAndTag.slice(colon + 1);
  const shortName = repository.replace(/^(docker\.io|quay\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
  if (GONE_REPOSITORIES.includes(shortName)) problems.push(`${shortName} is gone (no image can be pulled from it)`);
  if (tag === undefined) problems.push('no tag');
  else if (tag === 'latest') problems.push('tag latest');
  // An exact version has at least major.minor: "17-alpine", "2-alpine" or "v20" move.
  else if (!/^v?\d+\.\d+/.test(tag)) problems.push(`tag ${tag} is not an exact version`);
  if (digest === undefined) problems.push('no digest');
  else if (!/^sha256:[0-9a-f]{64}$/.test(digest)) problems.push(`digest ${digest} is not a sha256 digest`);
  return problems;
}

/** Every service's dependencies, with the condition Compose waits for. */
export function dependencies(service: ComposeService): Array<{ name: string; condition: string }> {
  const dependsOn = service.depends_on ?? [];
  if (Array.isArray(dependsOn)) return dependsOn.map((name) => ({ name, condition: 'service_started' }));
  return Object.entries(dependsOn).map(([name, options]) => ({ name, condition: options.condition ?? 'service_started' }));
}

/** Named volumes a service mounts (bind mounts of paths left out). */
export function namedVolumes(service: ComposeService): string[] {
  return (service.volumes ?? [])
    .map((volume) => (typeof volume === 'string' ? volume.split(':')[0] : volume.type === 'volume' ? (volume.source ?? '') : ''))
    .filter((source) => source !== '' && !source.startsWith('.') && !source.startsWith('/'));
}

/** Paths in the repository a service bind-mounts. */
export function boundPaths(service: ComposeService): string[] {
  return (service.volumes ?? []).map((volume) => (typeof volume === 'string' ? volume.split(':')[0] : (volume.source ?? ''))).filter((source) => source.startsWith('./'));
}

/** Whether the service has a health check: its own, or its image's HEALTHCHECK when Compose builds it. */
export function hasHealthcheck(compose: ComposeFile, name: string, readFile: (relative: string) => string = readRepoFile): boolean {
  const service = compose.services[name];
  if (service.healthcheck) return service.healthcheck.disable !== true;
  const builder = Object.values(compose.services).find((candidate) => candidate.build && candidate.image === (service.image ?? `${name}`));
  const source = service.build ? service : builder;
  return source !== undefined && /^\s*HEALTHCHECK\s+(?!NONE)/m.test(readFile(dockerfileOf(source)));
}

export function readRepoFile(relative: string): string {
  return readFileSync(path.join(REPO_ROOT, relative), 'utf8');
}

export function repoFileExists(relative: string): boolean {
  return existsSync(path.join(REPO_ROOT, relative));
}
