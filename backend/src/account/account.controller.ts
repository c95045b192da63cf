import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AccountErasureReceipt } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { RefreshCookie } from '../auth/sessions/refresh-cookie.js';
import { ApiErrors } from '../common/swagger.js';
import { OwnTransactions } from '../db/transaction.interceptor.js';
import { AccountErasureService } from './account-erasure.service.js';
import { AccountErasureReceiptDto, EraseAccountDto } from './dto/erase-account.dto.js';

@ApiTags('account')
@ApiBearerAuth()
@Controller('account')
export class AccountController {
  constructor(
    private readonly erasure: AccountErasureService,
    private readonly refreshCookie: RefreshCookie,
  ) {}

  @Post('erase')
  @HttpCode(200)
  @Roles('patient', 'doctor')
  @OwnTransactions()
  @ApiOperation({
    summary: 'Erase the signed-in account (GDPR Art. 17): records, objects, wraps, folders, consents, keys and sessions go; the audit trail stays',
  })
  @ApiOkResponse({ type: AccountErasureReceiptDto })
  @ApiErrors(400, 401, 403, 429)
  async erase(@CurrentUser() user: AuthUser, @Body() body: EraseAccountDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<AccountErasureReceipt> {
    const receipt = await this.erasure.erase(user, body);
    this.refreshCookie.clear(reply);
    return receipt;
  }
}
