import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { KeyGenerations } from '../key-rotation/key-generations.js';
import { KeyRotationRepository } from '../key-rotation/key-rotation.repository.js';
import { RecordsController } from './records.controller.js';
import { RecordsRepository } from './records.repository.js';
import { RecordsService } from './records.service.js';
import { UploadsRepository } from './uploads.repository.js';

@Module({
  imports: [AccessModule],
  controllers: [RecordsController],
  providers: [RecordsService, RecordsRepository, UploadsRepository, KeyGenerations, KeyRotationRepository],
  exports: [RecordsRepository, UploadsRepository],
})
export class RecordsModule {}
