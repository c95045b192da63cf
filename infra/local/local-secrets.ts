/**
 * Secrets of a local installation: made once at first start, kept in the data
 * folder (mode 0600), reused on every later start so the data stays readable.
 */
import { createPublicKey, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface LocalSecrets {
  postgresPassword: string;
  ownerPassword: string;
  appPassword: string;
  s3AccessKey: string;
  s3SecretKey: string;
  jwtSecret: string;
  preloginSecret: string;
  /**
   * The key directory's log key (KEY_LOG_SIGNING_KEY): PKCS#8 DER, base64url. Made
   * once, like the rest, and kept: every tree head of this installation's log is
   * signed with it, and the portal is built with its public half.
   */
  keyLogSigningKey: string;
}

/** A new log key for the key directory: ECDSA P-256, PKCS#8 DER, base64url (what KEY_LOG_SIGNING_KEY takes). */
export function newKeyLogSigningKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64url');
}

/** The public half of a log key, SPKI DER, base64url: what the portal is built with (VITE_KEY_LOG_PUBLIC_KEY). */
export function keyLogPublicKeyOf(signingKey: string): string {
  const privateKey = createPrivateKey({ key: Buffer.from(signingKey, 'base64url'), format: 'der', type: 'pkcs8' });
  return createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64url');
}

const random = (bytes: number) => randomBytes(bytes).toString('hex');

export async function loadOrCreateSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const kept = JSON.parse(await readFile(file, 'utf8')) as Partial<LocalSecrets> & Omit<LocalSecrets, 'keyLogSigningKey'>;
    if (kept.keyLogSigningKey) return kept as LocalSecrets;
    // A data folder from before the key directory: its log starts now, with a key made now and kept from here on.
    const upgraded: LocalSecrets = { ...kept, keyLogSigningKey: newKeyLogSigningKey() };
    await writeFile(file, `${JSON.stringify(upgraded, null, 2)}\n`, { mode: 0o600 });
    return upgraded;
  }
  const secrets: LocalSecrets = {
    postgresPassword: random(16),
    ownerPassword: random(16),
    appPassword: random(16),
    s3AccessKey: `phr${random(8)}`,
    s3SecretKey: random(20),
    jwtSecret: random(32),
    preloginSecret: random(32),
    keyLogSigningKey: newKeyLogSigningKey(),
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
