import { CredentialEntity } from '../auth/credentials/credential.entity.js';
import { KnownDeviceEntity } from '../auth/sign-in/known-device.entity.js';
import { LoginThrottleEntity } from '../auth/sign-in/login-throttle.entity.js';
import { RefreshTokenEntity } from '../auth/sessions/refresh-token.entity.js';
import { SecurityKeyEntity } from '../auth/second-factors/security-key.entity.js';
import { PublicKeyEntity } from '../users/public-key.entity.js';
import { UserEntity } from '../users/user.entity.js';
import { ClinicianEntity } from '../clinicians/clinician.entity.js';
import { ConsentEntity } from '../access/entities/consent.entity.js';
import { FolderEntity } from '../access/entities/folder.entity.js';
import { RecordWrapEntity } from '../access/entities/record-wrap.entity.js';
import { RecordEntity } from '../access/entities/record.entity.js';
import { UploadEntity } from '../access/entities/upload.entity.js';

export const ENTITIES = [
  UserEntity,
  PublicKeyEntity,
  CredentialEntity,
  RefreshTokenEntity,
  SecurityKeyEntity,
  KnownDeviceEntity,
  LoginThrottleEntity,
  FolderEntity,
  UploadEntity,
  RecordEntity,
  RecordWrapEntity,
  ConsentEntity,
  ClinicianEntity,
];
