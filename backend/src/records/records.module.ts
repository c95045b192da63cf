import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { KeyGenerationsModule } from '../key-generations/key-generations.module.js';
import { RecordsController } from './records.controller.js';
import { RecordsRepository } from './records.repository.js';
import { RecordsService } from './records.service.js';
import { UploadsRepository } from './uploads.repository.js';

@Module({
  imports: [AccessModule, KeyGenerationsModule],
  controllers: [RecordsController],
  providers: [RecordsService, RecordsRepository, UploadsRepository],
  exports: [RecordsRepository, UploadsRepository],
})
export class RecordsModule {}
