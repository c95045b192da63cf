import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { KeyGenerationsModule } from '../key-generations/key-generations.module.js';
import { UsersModule } from '../users/users.module.js';
import { KeyPairController } from './key-pair.controller.js';
import { KeyPairRepository } from './key-pair.repository.js';
import { KeyPairService } from './key-pair.service.js';

/** Key-pair rotation (docs/protocol.md "Key-pair rotation"); the key directory is global. */
@Module({ imports: [AuthModule, UsersModule, KeyGenerationsModule], controllers: [KeyPairController], providers: [KeyPairService, KeyPairRepository] })
export class KeyPairModule {}
