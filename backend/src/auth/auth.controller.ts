import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiExtraModels, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type LoginResponse,
  type PreloginResponse,
  type ProofOfWorkChallenge,
  type RecoveryKeysResponse,
  type RefreshResponse,
  type RegistrationStarted,
  type SessionResponse,
} from '@phr/shared-types';
import { ApiErrors, ApiProofOfWorkRequired, REFRESH_COOKIE_SECURITY } from '../common/swagger.js';
import { RateLimited } from '../rate-limit/rate-limited.decorator.js';
import type { AuthUser } from '../identity/auth-user.js';
import { CredentialChanges } from './credentials/credential-changes.service.js';
import { SignUpService } from './registration/sign-up.service.js';
import type { SessionResult } from './sessions/session-starter.js';
import { SignInService } from './sign-in/sign-in.service.js';
import { DeviceCookie } from './sign-in/device-cookie.js';
import { CurrentUser, Public, Roles } from '../identity/decorators.js';
import { LoginDto } from './sign-in/dto/login.dto.js';
import { ChangePasswordDto, RecoveryKeysDto, RecoveryKeysResponseDto, RecoveryResetDto } from './credentials/dto/password.dto.js';
import { PreloginRequestDto, PreloginResponseDto } from './sign-in/dto/prelogin.dto.js';
import { ProofOfWorkChallengeDto, ProofOfWorkRequestDto } from './sign-in/dto/proof-of-work.dto.js';
import { RegisterInvitedDto, RegisterDto, RegistrationStartedDto, StartRegistrationDto } from './registration/dto/register.dto.js';
import { RegistrationService } from './registration/registration.service.js';
import { SameOriginGuard } from './sessions/same-origin.guard.js';
import { SecurityKeyChallengeDto, TotpChallengeDto, WebAuthnLoginDto } from './second-factors/dto/security-key.dto.js';
import { TotpLoginDto } from './second-factors/dto/totp.dto.js';
import { RefreshResponseDto, SessionResponseDto } from './sessions/dto/session.dto.js';
import { RefreshCookie } from './sessions/refresh-cookie.js';
import { SessionService } from './sessions/session.service.js';

type CookieRequest = FastifyRequest & { cookies: Record<string, string | undefined> };

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly signIn: SignInService,
    private readonly signUp: SignUpService,
    private readonly credentialChanges: CredentialChanges,
    private readonly sessions: SessionService,
    private readonly refreshCookie: RefreshCookie,
    private readonly deviceCookie: DeviceCookie,
    private readonly registration: RegistrationService,
  ) {}

  /** Both cookies of a new session: the refresh token, and the device that is now known. */
  private setSessionCookies(reply: FastifyReply, result: SessionResult): void {
    this.refreshCookie.set(reply, result.session);
    this.deviceCookie.set(reply, result.device);
  }

  @Public()
  @Post('prelogin')
  @HttpCode(200)
  @ApiOperation({ summary: 'KDF parameters for an email (plausible ones for unknown emails); the email is in the body, never the URL' })
  @ApiOkResponse({ type: PreloginResponseDto })
  @ApiErrors(400)
  prelogin(@Body() body: PreloginRequestDto): Promise<PreloginResponse> {
    return this.signIn.prelogin(body.email);
  }

  @Public()
  @Post('proof-of-work')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'The proof of work a sign-in (purpose login) or recovery (purpose recovery) from this client needs: a signed, single-use challenge and its difficulty, 0 when none is needed. ' +
      'A known device (device cookie of an earlier sign-in) needs none for failures elsewhere. Format: docs/protocol.md "Proof of work"',
  })
  @ApiOkResponse({ type: ProofOfWorkChallengeDto, description: 'Always a challenge; with difficulty 0 nothing needs to be solved or sent' })
  @ApiErrors(400)
  proofOfWork(@Body() body: ProofOfWorkRequestDto, @Req() request: CookieRequest): Promise<ProofOfWorkChallenge> {
    return this.signIn.proofOfWorkChallenge(body, this.deviceCookie.read(request));
  }

  @Public()
  @Post('register/start')
  @HttpCode(202)
  @RateLimited('registration')
  @ApiOperation({
    summary: 'Start a registration: a mail goes to the address with a link to finish (or, when the address has an account, a warning and no link). The answer is the same either way',
  })
  @ApiAcceptedResponse({ type: RegistrationStartedDto })
  @ApiErrors(400, 429)
  startRegistration(@Body() body: StartRegistrationDto): Promise<RegistrationStarted> {
    return this.registration.start(body);
  }

  @Public()
  @Post('register')
  @RateLimited('registration')
  @ApiOperation({
    summary:
      'Create a patient or doctor account from keys made in the browser, with the token of the registration link. ' +
      'A doctor names a licence and an organisation and waits for an operator’s approval before patients can find them (docs/protocol.md "Clinicians")',
  })
  @ApiCreatedResponse({ type: SessionResponseDto, description: 'The account is made and signed in; the refresh token and the device token are set as httpOnly cookies' })
  @ApiErrors(400, 413)
  async register(@Body() body: RegisterDto, @Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.signUp.register(body, this.deviceCookie.read(request), this.refreshCookie.read(request));
    this.setSessionCookies(reply, result);
    return result.body;
  }

  @Public()
  @Post('register-invited')
  @RateLimited('registration')
  @ApiOperation({
    summary:
      'Create an account by redeeming a one-time invitation: an auditor’s or an operator’s (the operator’s create-auditor / create-operator step), ' +
      'or a clinician’s (POST /clinicians/invitations: approved from the start by the inviting operator). The invitation names the role and the name',
  })
  @ApiCreatedResponse({ type: SessionResponseDto, description: 'The account is made and signed in; the refresh token and the device token are set as httpOnly cookies' })
  @ApiErrors(400, 413)
  async registerInvited(@Body() body: RegisterInvitedDto, @Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.signUp.registerInvited(body, this.deviceCookie.read(request), this.refreshCookie.read(request));
    this.setSessionCookies(reply, result);
    return result.body;
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Sign in with the auth key derived from the password; an account with a second factor (security key, authenticator app) gets its challenge instead of a session. ' +
      'After repeated failures on the account, a client that is not a known device must send a proofOfWork (else 429 PROOF_OF_WORK_REQUIRED); the right key is never refused otherwise',
  })
  @ApiExtraModels(SecurityKeyChallengeDto, TotpChallengeDto)
  @ApiOkResponse({
    description:
      'A session (the refresh token and the device token are set as httpOnly cookies), or, for an account with a second factor, its challenge for ' +
      'POST /auth/login/webauthn or POST /auth/login/totp and no session',
    schema: { oneOf: [{ $ref: getSchemaPath(SessionResponseDto) }, { $ref: getSchemaPath(SecurityKeyChallengeDto) }, { $ref: getSchemaPath(TotpChallengeDto) }] },
  })
  @ApiErrors(400, 401)
  @ApiProofOfWorkRequired()
  async login(@Body() body: LoginDto, @Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<LoginResponse> {
    const result = await this.signIn.login(body, this.deviceCookie.read(request), this.refreshCookie.read(request));
    if (result.session) this.setSessionCookies(reply, result);
    return result.body;
  }

  @Public()
  @Post('login/webauthn')
  @HttpCode(200)
  @ApiOperation({ summary: 'Second step of a sign-in with a security key: the assertion for the challenge POST /auth/login gave' })
  @ApiOkResponse({ type: SessionResponseDto, description: 'The refresh token and the device token are set as httpOnly cookies' })
  @ApiErrors(400, 401)
  async loginWithSecurityKey(@Body() body: WebAuthnLoginDto, @Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.signIn.loginWithSecurityKey(body, this.deviceCookie.read(request), this.refreshCookie.read(request));
    this.setSessionCookies(reply, result);
    return result.body;
  }

  @Public()
  @Post('login/totp')
  @HttpCode(200)
  @RateLimited('secondFactor')
  @ApiOperation({
    summary:
      'Second step of a sign-in with an authenticator app: the challenge token POST /auth/login gave and the code the app shows now (in the body, never the URL). ' +
      'A wrong, expired or already used code ends this sign-in (start again with the password) and counts as a failed sign-in',
  })
  @ApiOkResponse({ type: SessionResponseDto, description: 'The refresh token and the device token are set as httpOnly cookies' })
  @ApiErrors(400, 401, 429)
  async loginWithTotp(@Body() body: TotpLoginDto, @Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.signIn.loginWithTotp(body, this.deviceCookie.read(request), this.refreshCookie.read(request));
    this.setSessionCookies(reply, result);
    return result.body;
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @UseGuards(SameOriginGuard)
  @ApiCookieAuth(REFRESH_COOKIE_SECURITY)
  @ApiOperation({ summary: 'New access token; the refresh token is rotated, and a reused one ends its family. Only from the portal’s Origin' })
  @ApiOkResponse({ type: RefreshResponseDto })
  @ApiErrors(401, 403)
  async refresh(@Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<RefreshResponse> {
    const session = await this.sessions.rotate(this.refreshCookie.read(request));
    this.refreshCookie.set(reply, session);
    return { accessToken: session.accessToken, expiresIn: session.expiresIn, ...(session.mustEnrolSecondFactor ? { mustEnrolSecondFactor: true as const } : {}) };
  }

  @Public()
  @Post('unlock')
  @HttpCode(200)
  @UseGuards(SameOriginGuard)
  @ApiCookieAuth(REFRESH_COOKIE_SECURITY)
  @ApiOperation({
    summary:
      'Unlock a locked browser (after a reload, in a new tab, after the idle lock): the auth key from the password, as at sign-in, and this browser’s refresh cookie, ' +
      'which must belong to that account. The session goes on (its refresh token is rotated, no new session, no second factor) and the answer carries the account’s keys. ' +
      'Failures count as failed sign-ins (throttle, proof of work). Only from the portal’s Origin (docs/protocol.md "Lock, reload and new tabs")',
  })
  @ApiOkResponse({ type: SessionResponseDto, description: 'The rotated refresh token is set as an httpOnly cookie' })
  @ApiErrors(400, 401, 403)
  @ApiProofOfWorkRequired()
  async unlock(@Body() body: LoginDto, @Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.signIn.unlock(body, this.deviceCookie.read(request), this.refreshCookie.read(request));
    this.refreshCookie.set(reply, result.session);
    return result.body;
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @UseGuards(SameOriginGuard)
  @ApiCookieAuth(REFRESH_COOKIE_SECURITY)
  @ApiOperation({ summary: 'End this session (its refresh token family). Only from the portal’s Origin' })
  @ApiNoContentResponse()
  @ApiErrors(403)
  async logout(@Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.signIn.logout(this.refreshCookie.read(request));
    this.refreshCookie.clear(reply);
  }

  @Post('password')
  @HttpCode(204)
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @UseGuards(SameOriginGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Change the password: the account key is re-wrapped, other sessions end, other browsers are no longer known devices. ' +
      'Repeated wrong current passwords hold this session back (429). Only from the portal’s Origin',
  })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 403, 429)
  changePassword(@CurrentUser() user: AuthUser, @Body() body: ChangePasswordDto, @Req() request: CookieRequest): Promise<void> {
    return this.credentialChanges.changePassword(user, body, this.refreshCookie.read(request), this.deviceCookie.read(request));
  }

  @Public()
  @Post('recovery/keys')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Prove the recovery code; receive the recovery wrap of the account key, and the browser becomes a known device. ' +
      'After repeated failures, a proofOfWork of purpose recovery is needed as for sign-in',
  })
  @ApiOkResponse({ type: RecoveryKeysResponseDto, description: 'The device token is set as an httpOnly cookie' })
  @ApiErrors(400, 401)
  @ApiProofOfWorkRequired()
  async recoveryKeys(@Body() body: RecoveryKeysDto, @Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<RecoveryKeysResponse> {
    const result = await this.credentialChanges.recoveryKeys(body, this.deviceCookie.read(request));
    this.deviceCookie.set(reply, result.device);
    return result.body;
  }

  @Public()
  @Post('recovery/reset')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Set a new password with the recovery code; a new code replaces it, every session ends and every other browser is forgotten. ' +
      'After repeated failures, a proofOfWork of purpose recovery is needed from a browser that is not a known device',
  })
  @ApiOkResponse({ type: SessionResponseDto, description: 'The refresh token and the device token are set as httpOnly cookies' })
  @ApiErrors(400, 401)
  @ApiProofOfWorkRequired()
  async recoveryReset(@Body() body: RecoveryResetDto, @Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.credentialChanges.recoveryReset(body, this.deviceCookie.read(request), this.refreshCookie.read(request));
    this.setSessionCookies(reply, result);
    return result.body;
  }
}
