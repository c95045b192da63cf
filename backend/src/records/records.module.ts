import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { KeyGenerationsModule } from '../key-generations/key-generations.module.js';
import { RecordsController } from './records.controller.js';
import { RecordOrganising } from './record-organising.service.js';
import { RecordsService } from './records.service.js';

@Module({
  imports: [AccessModule, KeyGenerationsModule],
  controllers: [RecordsController],
  providers: [RecordsService, RecordOrganising],
})
export class RecordsModule {}
