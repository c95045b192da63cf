import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountErasureRepository } from './account-erasure.repository.js';
import { AccountErasureService } from './account-erasure.service.js';
import { AccountController } from './account.controller.js';

@Module({ imports: [AuthModule, UsersModule], controllers: [AccountController], providers: [AccountErasureService, AccountErasureRepository] })
export class AccountModule {}
