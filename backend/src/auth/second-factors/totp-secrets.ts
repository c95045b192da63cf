import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { TOTP_SECRET_BYTES } from '@phr/shared-types';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 1;

/**
 * Seals TOTP secrets at rest (docs/threat-model.md T90): AES-256-GCM under the
 * server's TOTP key, the account id as associated data, so a database dump or
 * backup alone gives no codes, and a sealed secret moved to another account's
 * row does not open. Layout: version byte ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag.
 */
@Injectable()
export class TotpSecrets {
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = config.secondFactors.totpSecretKey;
  }

  /** A new random secret of TOTP_SECRET_BYTES (160 bits). */
  generate(): Buffer {
    return randomBytes(TOTP_SECRET_BYTES);
  }

  seal(userId: string, secret: Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(associatedData(userId));
    const sealed = Buffer.concat([cipher.update(secret), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, sealed, cipher.getAuthTag()]);
  }

  /** Throws when the box was not sealed for this account with this key. */
  open(userId: string, box: Buffer): Buffer {
    if (box[0] !== VERSION || box.length < 1 + IV_BYTES + TAG_BYTES) throw new Error('not a sealed TOTP secret');
    const iv = box.subarray(1, 1 + IV_BYTES);
    const tag = box.subarray(box.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv).setAAD(associatedData(userId)).setAuthTag(tag);
    return Buffer.concat([decipher.update(box.subarray(1 + IV_BYTES, box.length - TAG_BYTES)), decipher.final()]);
  }
}

function associatedData(userId: string): Buffer {
  return Buffer.from(`phr totp secret v${VERSION} for ${userId.toLowerCase()}`);
}
