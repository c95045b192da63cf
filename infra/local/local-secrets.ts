/**
 * Secrets of a local installation: made once at first start, kept in the data
 * folder (mode 0600), reused on every later start so the data stays readable.
 */
import { randomBytes } from 'node:crypto';
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
}

const random = (bytes: number) => randomBytes(bytes).toString('hex');

export async function loadOrCreateSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as LocalSecrets;
  const secrets: LocalSecrets = {
    postgresPassword: random(16),
    ownerPassword: random(16),
    appPassword: random(16),
    s3AccessKey: `phr${random(8)}`,
    s3SecretKey: random(20),
    jwtSecret: random(32),
    preloginSecret: random(32),
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
