import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { KeyPairController } from './key-pair.controller.js';
import { KeyPairService } from './key-pair.service.js';

/** Key-pair rotation (docs/protocol.md "Key-pair rotation"); the key directory is global. */
@Module({ imports: [AuthModule], controllers: [KeyPairController], providers: [KeyPairService] })
export class KeyPairModule {}
