import { Inject, Injectable } from '@nestjs/common';
import type { SignedTreeHead } from '@phr/shared-types';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { signTreeHead } from './tree-head.js';

/** Signs tree heads with the log key of the configuration (KEY_LOG_SIGNING_KEY); the only user of that key. */
@Injectable()
export class TreeHeadSigner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get keyId(): string {
    return this.config.keyLog.keyId;
  }

  sign(treeSize: number, rootHash: Buffer, issuedAt: Date): SignedTreeHead {
    return signTreeHead(this.config.keyLog.signingKey, this.config.keyLog.keyId, treeSize, rootHash, issuedAt);
  }
}
