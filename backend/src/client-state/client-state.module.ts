import { Module } from '@nestjs/common';
import { ClientStateController } from './client-state.controller.js';
import { ClientStateRepository } from './client-state.repository.js';
import { ClientStateService } from './client-state.service.js';

@Module({ controllers: [ClientStateController], providers: [ClientStateService, ClientStateRepository], exports: [ClientStateRepository] })
export class ClientStateModule {}
