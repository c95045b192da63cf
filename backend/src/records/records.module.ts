import { Module } from '@nestjs/common';
import { RecordDenials } from './record-denials.js';
import { RecordsController } from './records.controller.js';
import { RecordsService } from './records.service.js';
import { UploadSweeper } from './upload-sweeper.js';

@Module({ controllers: [RecordsController], providers: [RecordsService, RecordDenials, UploadSweeper], exports: [UploadSweeper, RecordDenials] })
export class RecordsModule {}
