import { Global, Module } from '@nestjs/common';
import { ObjectDeletionsRepository } from './object-deletions.repository.js';
import { ObjectDeletions } from './object-deletions.service.js';
import { OrphanReconciler } from '../jobs/orphan-reconciler.js';
import { StorageService } from './storage.service.js';

@Global()
@Module({
  providers: [StorageService, ObjectDeletions, ObjectDeletionsRepository, OrphanReconciler],
  exports: [StorageService, ObjectDeletions, OrphanReconciler],
})
export class StorageModule {}
