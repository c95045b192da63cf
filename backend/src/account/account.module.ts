import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccessModule } from '../access/access.module.js';
import { AccountErasureService } from './account-erasure.service.js';
import { AccountController } from './account.controller.js';

@Module({ imports: [AuthModule, UsersModule, AccessModule], controllers: [AccountController], providers: [AccountErasureService] })
export class AccountModule {}
