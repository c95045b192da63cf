import { Module } from '@nestjs/common';
import { CliniciansModule } from '../clinicians/clinicians.module.js';
import { PublicKeysRepository } from './public-keys.repository.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

/** Accounts (`users`) and their public keys (`public_keys`): the repositories every other module reads them through. */
@Module({
  imports: [CliniciansModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, PublicKeysRepository],
  exports: [UsersService, UsersRepository, PublicKeysRepository],
})
export class UsersModule {}
