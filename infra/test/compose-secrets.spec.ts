/**
 * ASVS 2.10.2: the Compose deployment has no default credentials. Every secret in
 * `.env.example` ships empty, and `docker-compose.yml` requires it (`${NAME:?message}`
 * fails the whole file while the variable is unset or empty) and never supplies a default.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
/** Names that hold a credential: passwords, secrets, signing keys, and the object store's root access key. */
const SECRET_NAME = /PASSWORD|SECRET|SIGNING_KEY|ACCESS_KEY/;
/** The credentials of the deployment today: a new one must be added here, and is then guarded too. */
const KNOWN_SECRETS = ['JWT_SECRET', 'KEY_LOG_SIGNING_KEY', 'PHR_APP_PASSWORD', 'PHR_OWNER_PASSWORD', 'POSTGRES_PASSWORD', 'PRELOGIN_SECRET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'TOTP_SECRET_KEY'];

/** `.env.example` as Compose reads it: NAME=value lines, comments and blanks left out. */
function envExample(): Map<string, string> {
  const lines = readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8').split('\n');
  const entries = lines.filter((line) => /^[A-Z0-9_]+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()] as const);
  return new Map(entries);
}

interface Reference {
  name: string;
  /** What follows the name inside `${…}`: '' for a bare reference, ':?message', ':-default', … */
  modifier: string;
}

/** Every `${NAME…}` and `$NAME` interpolation of docker-compose.yml, comments left out. */
function composeReferences(): Reference[] {
  const text = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  const braced = [...text.matchAll(/\$\{([A-Za-z_]\w*)([^}]*)\}/g)].map((match) => ({ name: match[1], modifier: match[2] }));
  const bare = [...text.matchAll(/\$([A-Za-z_]\w*)/g)].map((match) => ({ name: match[1], modifier: '' }));
  return [...braced, ...bare];
}

describe('Compose secrets', () => {
  const env = envExample();
  const references = composeReferences();
  const secrets = [...env.keys()].filter((name) => SECRET_NAME.test(name));

  it('finds the secrets it guards (the parsers read the real files)', () => {
    expect(secrets.sort()).toEqual(KNOWN_SECRETS);
    expect(references.length).toBeGreaterThan(secrets.length);
  });

  it('ships every secret empty in .env.example', () => {
    expect(Object.fromEntries(secrets.map((name) => [name, env.get(name)]))).toEqual(Object.fromEntries(secrets.map((name) => [name, ''])));
  });

  it('lists in .env.example every variable docker-compose.yml uses', () => {
    const missing = [...new Set(references.map((reference) => reference.name))].filter((name) => !env.has(name));
    expect(missing).toEqual([]);
  });

  it.each(KNOWN_SECRETS)(
    'requires %s (set and not empty) and never gives it a default',
    (name) => {
      const uses = references.filter((reference) => reference.name === name);
      expect(uses.length).toBeGreaterThan(0);
      // `:?` refuses unset and empty; `?` alone would accept an empty value.
      expect(uses.some((reference) => reference.modifier.startsWith(':?'))).toBe(true);
      for (const reference of uses) expect({ name, modifier: reference.modifier }).toEqual({ name, modifier: expect.stringMatching(/^(:\?.+)?$/) });
    },
  );
});
