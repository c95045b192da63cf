import { Module } from '@nestjs/common';
import { KeyGenerations } from '../key-generations/key-generations.js';
import { KeyRotationRepository } from '../key-generations/key-rotation.repository.js';
import { FoldersController } from './folders.controller.js';
import { FoldersService } from './folders.service.js';

@Module({ controllers: [FoldersController], providers: [FoldersService, KeyGenerations, KeyRotationRepository] })
export class FoldersModule {}
