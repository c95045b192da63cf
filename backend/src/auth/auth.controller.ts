import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  REFRESH_COOKIE_NAME,
  type PreloginResponse,
  type RecoveryKeysResponse,
  type RefreshResponse,
  type SessionResponse,
} from '@phr/shared-types';
import { ApiErrors } from '../common/swagger.js';
import type { AuthUser } from './auth-user.js';
import { AuthService } from './auth.service.js';
import { CurrentUser, Public, Roles } from './decorators.js';
import { LoginDto } from './dto/login.dto.js';
import { ChangePasswordDto, RecoveryKeysDto, RecoveryKeysResponseDto, RecoveryResetDto } from './dto/password.dto.js';
import { PreloginQueryDto, PreloginResponseDto } from './dto/prelogin.dto.js';
import { RegisterAuditorDto, RegisterDto } from './dto/register.dto.js';
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
  ) {}

  @Public()
  @Get('prelogin')
  @ApiOperation({ summary: 'KDF parameters for an email (plausible ones for unknown emails)' })
  @ApiOkResponse({ type: PreloginResponseDto })
  @ApiErrors(400)
  prelogin(@Query() query: PreloginQueryDto): Promise<PreloginResponse> {
    return this.auth.prelogin(query.email);
  }

  @Public()
  @Post('register')
  @ApiOperation({ summary: 'Create a patient or doctor account from keys made in the browser' })
  @ApiOkResponse({ type: SessionResponseDto, description: 'Signed in; the refresh token is set as an httpOnly cookie' })
  @ApiErrors(400, 409, 413)
  async register(@Body() body: RegisterDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.auth.register(body);
    this.refreshCookie.set(reply, result.session);
    return result.body;
  }

  @Public()
  @Post('register-auditor')
  @ApiOperation({ summary: 'Create an auditor account by redeeming an invitation from the operator’s create-auditor step' })
  @ApiOkResponse({ type: SessionResponseDto, description: 'Signed in; the refresh token is set as an httpOnly cookie' })
  @ApiErrors(400, 409, 413)
  async registerAuditor(@Body() body: RegisterAuditorDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.auth.registerAuditor(body);
    this.refreshCookie.set(reply, result.session);
    return result.body;
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with the auth key derived from the password' })
  @ApiOkResponse({ type: SessionResponseDto, description: 'The refresh token is set as an httpOnly cookie' })
  @ApiErrors(400, 401, 429)
  async login(@Body() body: LoginDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const result = await this.auth.login(body);
    this.refreshCookie.set(reply, result.session);
    return result.body;
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiCookieAuth(REFRESH_COOKIE_NAME)
  @ApiOperation({ summary: 'New access token; the refresh token is rotated, and a reused one ends its family' })
  @ApiOkResponse({ type: RefreshResponseDto })
  @ApiErrors(401)
  async refresh(@Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<RefreshResponse> {
    const session = await this.sessions.rotate(this.refreshCookie.read(request));
    this.refreshCookie.set(reply, session);
    return { accessToken: session.accessToken, expiresIn: session.expiresIn };
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiCookieAuth(REFRESH_COOKIE_NAME)
  @ApiOperation({ summary: 'End this session (its refresh token family)' })
  @ApiNoContentResponse()
  async logout(@Req() request: CookieRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.auth.logout(this.refreshCookie.read(request));
    this.refreshCookie.clear(reply);
  }

  @Post('password')
  @HttpCode(204)
  @Roles('patient', 'doctor', 'auditor')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change the password: the account key is re-wrapped, other sessions end' })
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
