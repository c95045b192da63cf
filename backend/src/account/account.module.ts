import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { AccountErasureService } from './account-erasure.service.js';
import { AccountController } from './account.controller.js';

@Module({ imports: [AuthModule], controllers: [AccountController], providers: [AccountErasureService] })
export class AccountModule {}
