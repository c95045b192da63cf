import { Global, Module } from '@nestjs/common';
import { KeyDirectoryController } from './key-directory.controller.js';
import { KeyDirectory } from './key-directory.service.js';
import { KeyLogRepository } from './key-log.repository.js';
import { TreeHeadSigner } from './tree-head-signer.js';

/** Global: registration, erasure and key rotation append bindings (KeyDirectory.bind) in their own transactions. */
@Global()
@Module({ controllers: [KeyDirectoryController], providers: [KeyDirectory, KeyLogRepository, TreeHeadSigner], exports: [KeyDirectory] })
export class KeyDirectoryModule {}
