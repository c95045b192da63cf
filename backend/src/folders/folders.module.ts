import { Module } from '@nestjs/common';
import { KeyGenerationsModule } from '../key-generations/key-generations.module.js';
import { AccessModule } from '../access/access.module.js';
import { FoldersController } from './folders.controller.js';
import { FoldersService } from './folders.service.js';

@Module({ imports: [AccessModule, KeyGenerationsModule], controllers: [FoldersController], providers: [FoldersService] })
export class FoldersModule {}
