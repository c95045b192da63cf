import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthController } from './auth.controller.js';
import { CredentialChanges } from './credentials/credential-changes.service.js';
import { CredentialsRepository } from './credentials/credentials.repository.js';
import { Reauthentication } from './credentials/reauthentication.service.js';
import { InvitationClaimsRepository } from './registration/invitation-claims.repository.js';
import { SignUpService } from './registration/sign-up.service.js';
import { SessionStarter } from './sessions/session-starter.js';
import { SessionBodiesRepository } from './sessions/session-bodies.repository.js';
import { SignInFactsRepository } from './sign-in/sign-in-facts.repository.js';
import { SignInService } from './sign-in/sign-in.service.js';
import { SecurityKeysRepository } from './second-factors/security-keys.repository.js';
import { WebAuthnChallengesRepository } from './second-factors/webauthn-challenges.repository.js';
import { KnownDevicesRepository } from './sign-in/known-devices.repository.js';
import { LoginThrottleRepository } from './sign-in/login-throttle.repository.js';
import { ProofOfWorkSpentRepository } from './sign-in/proof-of-work-spent.repository.js';
import { RefreshTokensRepository } from './sessions/refresh-tokens.repository.js';
import { RegistrationTokensRepository } from './registration/registration-tokens.repository.js';
import { DeviceCookie } from './sign-in/device-cookie.js';
import { KnownDevices } from './sign-in/known-devices.service.js';
import { ProofOfWork } from './sign-in/proof-of-work.service.js';
import { JwtAuthGuard } from '../identity/guards/jwt-auth.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { AccessTokens } from '../identity/access-tokens.js';
import { LoginThrottle } from './sign-in/login-throttle.service.js';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { RateLimiter } from '../rate-limit/rate-limiter.service.js';
import { ActiveSessionsService } from './sessions/active-sessions.service.js';
import { PasswordHasher } from './credentials/password-hasher.js';
import { RefreshCookie } from './sessions/refresh-cookie.js';
import { SessionService } from './sessions/session.service.js';
import { SessionsController } from './sessions/sessions.controller.js';
import { ApiTokensController } from './sessions/api-tokens.controller.js';
import { ApiTokensService } from './sessions/api-tokens.service.js';
import { TokenService } from './sessions/token.service.js';
import { SecurityKeysController } from './second-factors/security-keys.controller.js';
import { SecurityKeysService } from './second-factors/security-keys.service.js';
import { WebAuthn } from './second-factors/webauthn.service.js';
import { SecondFactorPolicy } from './second-factors/second-factor-policy.js';
import { TotpController } from './second-factors/totp.controller.js';
import { TotpFactorsRepository } from './second-factors/totp-factors.repository.js';
import { TotpSecrets } from './second-factors/totp-secrets.js';
import { TotpService } from './second-factors/totp.service.js';
import { MailModule } from '../mail/mail.module.js';
import { CliniciansModule } from '../clinicians/clinicians.module.js';
import { UsersModule } from '../users/users.module.js';
import { RegistrationService } from './registration/registration.service.js';
import { KeyGenerationsModule } from '../key-generations/key-generations.module.js';

@Module({
  imports: [MailModule, UsersModule, CliniciansModule, KeyGenerationsModule],
  controllers: [AuthController, SessionsController, ApiTokensController, SecurityKeysController, TotpController],
  providers: [
    SignInService,
    ApiTokensService,
    SignUpService,
    CredentialChanges,
    Reauthentication,
    SessionStarter,
    SessionBodiesRepository,
    SignInFactsRepository,
    CredentialsRepository,
    InvitationClaimsRepository,
    RefreshTokensRepository,
    KnownDevicesRepository,
    LoginThrottleRepository,
    ProofOfWorkSpentRepository,
    RegistrationTokensRepository,
    SecurityKeysRepository,
    WebAuthnChallengesRepository,
    RegistrationService,
    SessionService,
    TokenService,
    AccessTokens,
    LoginThrottle,
    PasswordHasher,
    RefreshCookie,
    DeviceCookie,
    KnownDevices,
    ProofOfWork,
    ActiveSessionsService,
    RateLimiter,
    WebAuthn,
    SecurityKeysService,
    TotpFactorsRepository,
    TotpSecrets,
    TotpService,
    SecondFactorPolicy,
    // Order matters: the rate limit first (it counts even requests that fail
    // authentication), then authentication, then the role check. Deny by default.
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [TokenService, Reauthentication, RefreshCookie, SessionService, PasswordHasher, KnownDevices, LoginThrottle, ProofOfWork, CredentialsRepository, RefreshTokensRepository, RegistrationTokensRepository, InvitationClaimsRepository],
})
export class AuthModule {}
