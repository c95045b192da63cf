import { Global, Module } from '@nestjs/common';
import { ObjectDeletions } from './object-deletions.service.js';
import { StorageService } from './storage.service.js';

@Global()
@Module({ providers: [StorageService, ObjectDeletions], exports: [StorageService, ObjectDeletions] })
export class StorageModule {}
