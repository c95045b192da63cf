import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ClientStateModule } from '../client-state/client-state.module.js';
import { UsersModule } from '../users/users.module.js';
import { KeyRotationController } from './key-rotation.controller.js';
import { KeyRotationService } from './key-rotation.service.js';
import { KeyGenerationsModule } from '../key-generations/key-generations.module.js';

@Module({ imports: [AuthModule, ClientStateModule, UsersModule, KeyGenerationsModule], controllers: [KeyRotationController], providers: [KeyRotationService] })
export class KeyRotationModule {}
