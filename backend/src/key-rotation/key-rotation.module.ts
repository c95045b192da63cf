import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ClientStateModule } from '../client-state/client-state.module.js';
import { UsersModule } from '../users/users.module.js';
import { KeyRotationController } from './key-rotation.controller.js';
import { KeyRotationService } from './key-rotation.service.js';
import { KeyRotationRepository } from './key-rotation.repository.js';

@Module({ imports: [AuthModule, ClientStateModule, UsersModule], controllers: [KeyRotationController], providers: [KeyRotationService, KeyRotationRepository] })
export class KeyRotationModule {}
