import { CredentialEntity } from '../auth/entities/credential.entity.js';
import { LoginThrottleEntity } from '../auth/entities/login-throttle.entity.js';
import { RefreshTokenEntity } from '../auth/entities/refresh-token.entity.js';
import { PublicKeyEntity } from '../users/public-key.entity.js';
import { UserEntity } from '../users/user.entity.js';

export const ENTITIES = [UserEntity, PublicKeyEntity, CredentialEntity, RefreshTokenEntity, LoginThrottleEntity];
