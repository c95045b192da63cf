import { Global, Module } from '@nestjs/common';
import { ObjectDeletionsRepository } from './object-deletions.repository.js';
import { ObjectDeletions } from './object-deletions.service.js';
import { StorageService } from './storage.service.js';

@Global()
@Module({
  providers: [StorageService, ObjectDeletions, ObjectDeletionsRepository],
  // The repository too: the orphan reconciliation (jobs/) asks it which records still own objects.
  exports: [StorageService, ObjectDeletions, ObjectDeletionsRepository],
})
export class StorageModule {}
