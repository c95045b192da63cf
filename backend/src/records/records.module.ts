import { Module } from '@nestjs/common';
import { KeyGenerations } from '../key-generations/key-generations.js';
import { KeyRotationRepository } from '../key-generations/key-rotation.repository.js';
import { RecordDenials } from './record-denials.js';
import { RecordsController } from './records.controller.js';
import { RecordsService } from './records.service.js';

@Module({ controllers: [RecordsController], providers: [RecordsService, RecordDenials, KeyGenerations, KeyRotationRepository], exports: [RecordDenials] })
export class RecordsModule {}
