import { Module } from '@nestjs/common';
import { KeyGenerations } from './key-generations.js';
import { KeyRotationRepository } from './key-rotation.repository.js';

/**
 * The account key's generations (docs/protocol.md "Account-key rotation"):
 * what sign-in, records and folders ask before they seal under the account
 * key, and the SQL of `account_key_rotations` and the `key_generation`
 * columns. Below auth/ and the features; the rotation itself (key-rotation/,
 * which re-proves the password and ends sessions) sits above auth/.
 */
@Module({ providers: [KeyGenerations, KeyRotationRepository], exports: [KeyGenerations, KeyRotationRepository] })
export class KeyGenerationsModule {}
