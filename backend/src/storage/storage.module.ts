import { Global, Module } from '@nestjs/common';
import { ObjectDeletions } from './object-deletions.service.js';
import { OrphanReconciler } from '../jobs/orphan-reconciler.js';
import { StorageService } from './storage.service.js';

@Global()
@Module({ providers: [StorageService, ObjectDeletions, OrphanReconciler], exports: [StorageService, ObjectDeletions, OrphanReconciler] })
export class StorageModule {}
