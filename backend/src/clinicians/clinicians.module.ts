import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { CliniciansController } from './clinicians.controller.js';
import { CliniciansRepository } from './clinicians.repository.js';
import { CliniciansService } from './clinicians.service.js';

@Module({ imports: [MailModule], controllers: [CliniciansController], providers: [CliniciansService, CliniciansRepository], exports: [CliniciansRepository] })
export class CliniciansModule {}
