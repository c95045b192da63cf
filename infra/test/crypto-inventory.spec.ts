/**
 * Cryptographic discovery (ASVS 5.0 11.1.3): docs/security/crypto-inventory.md lists, under
 * "Files that use cryptography", every source file of the product that calls a cryptographic
 * primitive or library. This scans the product's sources for such calls and fails when a file
 * that makes one is not listed (a new use nobody inventoried) or a listed file makes none (the
 * inventory went stale). Tests, test helpers, benchmarks and seed tooling are out of scope: they
 * hold no key of a deployment.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const ROOT = path.resolve(import.meta.dirname, '../..');
const INVENTORY = path.join(ROOT, 'docs/security/crypto-inventory.md');

/** Where the product's code lives (the portal's two build files included: they hash its CSP and read the log key). */
const SCOPE = ['backend/src', 'frontend/src', 'shared-types/src', 'api-client/src', 'infra/local', 'infra/docker', 'frontend/vite.config.ts', 'frontend/portal-csp.ts'];
const SKIPPED = /(\.spec\.tsx?$|\.d\.ts$|\/testing\/|\/vectors\/|\/node_modules\/|\/dist\/)/;
const SOURCE = /\.(ts|tsx|js|mjs|cjs)$/;

/**
 * A cryptographic call: Node's crypto or TLS modules, WebCrypto, the crypto libraries the
 * product depends on, and SQL's sha256()/digest() in migrations.
 */
const CRYPTOGRAPHY = /node:crypto|from 'crypto'|\bsubtle\b|getRandomValues|@node-rs\/argon2|@simplewebauthn\/server|from 'otpauth'|shamir-secret-sharing|from 'jsonwebtoken'|node:tls|\bsha256\(|\bdigest\(|pgcrypto/;

function sourcesUnder(relative: string): string[] {
  const absolute = path.join(ROOT, relative);
  if (statSync(absolute).isFile()) return [relative];
  return readdirSync(absolute, { withFileTypes: true }).flatMap((entry) => {
    const child = `${relative}/${entry.name}`;
    if (entry.isDirectory()) return SKIPPED.test(`${child}/`) ? [] : sourcesUnder(child);
    return SOURCE.test(entry.name) && !SKIPPED.test(child) ? [child] : [];
  });
}

/** The backticked paths of the inventory's "Files that use cryptography" section. */
function filesListedIn(markdown: string): string[] {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Files that use cryptography'));
  if (section === undefined) throw new Error('crypto-inventory.md has no "## Files that use cryptography" section');
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1] ?? '');
}

describe('the cryptographic inventory against the code', () => {
  const inCode = SCOPE.flatMap(sourcesUnder)
    .filter((file) => CRYPTOGRAPHY.test(readFileSync(path.join(ROOT, file), 'utf8')))
    .sort();
  const listed = filesListedIn(readFileSync(INVENTORY, 'utf8')).sort();

  it('lists every source file that uses cryptography, and no file that does not', () => {
    expect(inCode.length).toBeGreaterThan(40);
    expect({ unlisted: inCode.filter((file) => !listed.includes(file)), stale: listed.filter((file) => !inCode.includes(file)) }).toEqual({ unlisted: [], stale: [] });
  });

  it('finds the kinds of call it looks for, and nothing in ordinary code', () => {
    for (const code of ["import { createHash } from 'node:crypto';", 'await crypto.subtle.encrypt(params, key, data);', 'crypto.getRandomValues(new Uint8Array(32));', "import { hash } from '@node-rs/argon2';", "SELECT sha256('\\x00'::bytea)", "import { connect } from 'node:tls';"]) {
      expect({ code, found: CRYPTOGRAPHY.test(code) }).toEqual({ code, found: true });
    }
    expect(CRYPTOGRAPHY.test("import { readFile } from 'node:fs';\nconst digested = summarise(rows);")).toBe(false);
  });
});
