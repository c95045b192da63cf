import { randomBytes } from 'node:crypto';
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
  private readonly decoy: Promise<string> = hash(randomBytes(32).toString('base64url'), ARGON2_OPTIONS);

  /**
   * `secret` is the base64url text the browser sent (a one-to-one encoding of
   * the key). It is hashed as text: the native binding reads byte input as
   * UTF-8 and refuses random bytes.
   */
  hash(secret: string): Promise<string> {
    return hash(secret, ARGON2_OPTIONS);
  }

  async verify(storedHash: string | null, secret: string): Promise<boolean> {
    try {
      const isValid = await verify(storedHash ?? (await this.decoy), secret);
      return storedHash !== null && isValid;
    } catch {
      return false;
    }
  }
}
