import { Module } from '@nestjs/common';
import { KeyGenerationsModule } from '../key-generations/key-generations.module.js';
import { RecordsModule } from '../records/records.module.js';
import { FoldersController } from './folders.controller.js';
import { FoldersRepository } from './folders.repository.js';
import { FoldersService } from './folders.service.js';

@Module({ imports: [RecordsModule, KeyGenerationsModule], controllers: [FoldersController], providers: [FoldersService, FoldersRepository] })
export class FoldersModule {}
