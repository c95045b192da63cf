import { Module } from '@nestjs/common';
import { KeyGenerations } from '../key-rotation/key-generations.js';
import { KeyRotationRepository } from '../key-rotation/key-rotation.repository.js';
import { RecordsModule } from '../records/records.module.js';
import { FoldersController } from './folders.controller.js';
import { FoldersRepository } from './folders.repository.js';
import { FoldersService } from './folders.service.js';

@Module({ imports: [RecordsModule], controllers: [FoldersController], providers: [FoldersService, FoldersRepository, KeyGenerations, KeyRotationRepository] })
export class FoldersModule {}
