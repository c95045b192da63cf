import { Injectable } from '@nestjs/common';
import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** `Algorithm.Argon2id`; the package exports it as a const enum, which isolated modules cannot read. */
const ARGON2ID = 2 as Algorithm;

/** OWASP 2023 argon2id parameters: 19 MiB, 2 passes, 1 lane. */
const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * argon2id over the auth key the browser derived (DESIGN 4.1). The server
 * never sees a password, but a stolen table should still not let anyone
 * check auth keys faster than argon2id allows.
 */
@Injectable()
export class PasswordHasher {
  /** A real hash of a random value, so unknown accounts cost as much time as known ones. */
  private readonly decoy: Promise<string> = hash(crypto.getRandomValues(new Uint8Array(32)), ARGON2_OPTIONS);

  hash(secret: Buffer): Promise<string> {
    return hash(secret, ARGON2_OPTIONS);
  }

  async verify(storedHash: string | null, secret: Buffer): Promise<boolean> {
    if (storedHash === null) {
      await verify(await this.decoy, secret);
      return false;
    }
    try {
      return await verify(storedHash, secret);
    } catch {
      return false;
    }
  }
}
