import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCookieAuth, ApiExtraModels, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type LoginResponse,
  type PreloginResponse,
  type RecoveryKeysResponse,
  type RefreshResponse,
  type RegistrationStarted,
  type SessionResponse,
} from '@phr/shared-types';
import { ApiErrors, REFRESH_COOKIE_SECURITY } from '../common/swagger.js';
import { RateLimited } from '../rate-limit/rate-limited.decorator.js';
import type { AuthUser } from './auth-user.js';
import { AuthService } from './auth.service.js';
import { CurrentUser, Public, Roles } from './decorators.js';
import { LoginDto } from './dto/login.dto.js';
import { ChangePasswordDto, RecoveryKeysDto, RecoveryKeysResponseDto, RecoveryResetDto } from './dto/password.dto.js';
import { PreloginRequestDto, PreloginResponseDto } from './dto/prelogin.dto.js';
import { RegisterAuditorDto, RegisterDto, RegistrationStartedDto, StartRegistrationDto } from './dto/register.dto.js';
import { RegistrationService } from './registration.service.js';
import { SameOriginGuard } from './guards/same-origin.guard.js';
import { SecondFactorChallengeDto, WebAuthnLoginDto } from './dto/security-key.dto.js';
import { RefreshResponseDto, SessionResponseDto } from './dto/session.dto.js';
import { RefreshCookie } from './refresh-cookie.js';
import { SessionService } from './session.service.js';

type CookieRequest = FastifyRequest & { cookies: Record<string, string | undefined> };

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
    private readonly refreshCookie: RefreshCookie,
    private readonly registration: RegistrationService,
  ) {}

  @Public()
  @Post('prelogin')
  @HttpCode(200)
  @ApiOperation({ summary: 'KDF parameters for an email (plausible ones for unknown emails); the email is in the body, never the URL' })
  @ApiOkResponse({ type: PreloginResponseDto })
  @ApiErrors(400)
  prelogin(@Body() body: PreloginRequestDto): Promise<PreloginResponse> {
    return this.auth.prelogin(body.email);
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
  @ApiOperation({ summary: 'Create a patient or doctor account from keys made in the browser, with the token of the registration link' })
  @ApiOkResponse({ type: SessionResponseDto, description: 'Signed in; the refresh token is set as an httpOnly cookie' })
  @ApiErrors(400, 413)
  async register(@Body() body: RegisterDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.auth.register(body);
    this.refreshCookie.set(reply, result.session);
    return result.body;
  }

  @Public()
  @Post('register-auditor')
  @RateLimited('registration')
  @ApiOperation({ summary: 'Create an auditor account by redeeming an invitation from the operator’s create-auditor step' })
  @ApiOkResponse({ type: SessionResponseDto, description: 'Signed in; the refresh token is set as an httpOnly cookie' })
  @ApiErrors(400, 413)
  async registerAuditor(@Body() body: RegisterAuditorDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.auth.registerAuditor(body);
    this.refreshCookie.set(reply, result.session);
    return result.body;
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with the auth key derived from the password; an account with a security key gets its challenge instead of a session' })
  @ApiExtraModels(SecondFactorChallengeDto)
  @ApiOkResponse({
    description: 'A session (the refresh token is set as an httpOnly cookie), or, for an account with a security key, the challenge for POST /auth/login/webauthn and no session',
    schema: { oneOf: [{ $ref: getSchemaPath(SessionResponseDto) }, { $ref: getSchemaPath(SecondFactorChallengeDto) }] },
  })
  @ApiErrors(400, 401, 429)
  async login(@Body() body: LoginDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<LoginResponse> {
    const result = await this.auth.login(body);
    if (result.session) this.refreshCookie.set(reply, result.session);
    return result.body;
  }

  @Public()
  @Post('login/webauthn')
  @HttpCode(200)
  @ApiOperation({ summary: 'Second step of a sign-in with a security key: the assertion for the challenge POST /auth/login gave' })
  @ApiOkResponse({ type: SessionResponseDto, description: 'The refresh token is set as an httpOnly cookie' })
  @ApiErrors(400, 401, 429)
  async loginWithSecurityKey(@Body() body: WebAuthnLoginDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.auth.loginWithSecurityKey(body);
    this.refreshCookie.set(reply, result.session);
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
    return { accessToken: session.accessToken, expiresIn: session.expiresIn };
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
    await this.auth.logout(this.refreshCookie.read(request));
    this.refreshCookie.clear(reply);
  }

  @Post('password')
  @HttpCode(204)
  @Roles('patient', 'doctor', 'auditor')
  @UseGuards(SameOriginGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change the password: the account key is re-wrapped, other sessions end. Only from the portal’s Origin' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 403, 429)
  changePassword(@CurrentUser() user: AuthUser, @Body() body: ChangePasswordDto, @Req() request: CookieRequest): Promise<void> {
    return this.auth.changePassword(user, body, this.refreshCookie.read(request));
  }

  @Public()
  @Post('recovery/keys')
  @HttpCode(200)
  @ApiOperation({ summary: 'Prove the recovery code; receive the recovery wrap of the account key' })
  @ApiOkResponse({ type: RecoveryKeysResponseDto })
  @ApiErrors(400, 401, 429)
  recoveryKeys(@Body() body: RecoveryKeysDto): Promise<RecoveryKeysResponse> {
    return this.auth.recoveryKeys(body);
  }

  @Public()
  @Post('recovery/reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set a new password with the recovery code; a new code replaces it' })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiErrors(400, 401, 429)
  async recoveryReset(@Body() body: RecoveryResetDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.auth.recoveryReset(body);
    this.refreshCookie.set(reply, result.session);
    return result.body;
  }
}
