import { Global, Module } from '@nestjs/common';
import { ObjectDeletionsRepository } from './object-deletions.repository.js';
import { ObjectDeletions } from './object-deletions.service.js';
import { OrphanReconciler } from '../jobs/orphan-reconciler.js';
import { StorageService } from './storage.service.js';

@Global()
@Module({
  providers: [StorageService, ObjectDeletions, ObjectDeletionsRepository, OrphanReconciler],
  // The repository too: the orphan reconciliation (jobs/) asks it which records still own objects.
  exports: [StorageService, ObjectDeletions, ObjectDeletionsRepository, OrphanReconciler],
})
export class StorageModule {}
