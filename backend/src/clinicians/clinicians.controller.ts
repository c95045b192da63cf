import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ClinicianInvitationSent, ClinicianList, ClinicianSummary } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { uuidParam } from '../common/ids.js';
import { ApiErrors } from '../common/swagger.js';
import { CliniciansService } from './clinicians.service.js';
import { ClinicianInvitationSentDto, ClinicianListDto, ClinicianReasonDto, ClinicianSummaryDto, InviteClinicianDto, ListCliniciansQueryDto } from './dto/clinicians.dto.js';

/** Who may be a doctor (docs/protocol.md "Clinicians"): operators only. */
@ApiTags('clinicians')
@ApiBearerAuth()
@Roles('operator')
@Controller('clinicians')
export class CliniciansController {
  constructor(private readonly clinicians: CliniciansService) {}

  @Get()
  @ApiOperation({ summary: 'Clinicians, oldest request first (status=pending: the approval queue), with the name checks (mixed scripts, TR39 look-alikes of approved names)' })
  @ApiOkResponse({ type: ClinicianListDto })
  @ApiErrors(400, 401, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: ListCliniciansQueryDto): Promise<ClinicianList> {
    return this.clinicians.list(user, query);
  }

  @Post('invitations')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Invite a clinician: a one-time link goes to their mailbox only; the account it makes is approved by this operator from the start. ' +
      'A name in several scripts or looking like an approved clinician’s is refused (409 NAME_CONFUSABLE); an email with an account, 409',
  })
  @ApiAcceptedResponse({ type: ClinicianInvitationSentDto })
  @ApiErrors(400, 401, 403, 409)
  invite(@CurrentUser() user: AuthUser, @Body() body: InviteClinicianDto): Promise<ClinicianInvitationSent> {
    return this.clinicians.invite(user, body);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Approve a waiting (or refused) clinician: patients can now find them and share with them, marked "verified by" this operator. ' +
      'Refused with 409 NAME_CONFUSABLE for a name in several scripts or that looks like another approved clinician’s',
  })
  @ApiOkResponse({ type: ClinicianSummaryDto })
  @ApiErrors(400, 401, 403, 404, 409)
  approve(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<ClinicianSummary> {
    return this.clinicians.decide(user, id, 'approve');
  }

  @Post(':id/refuse')
  @HttpCode(200)
  @ApiOperation({ summary: 'Refuse a waiting clinician, with a reason shown to them' })
  @ApiOkResponse({ type: ClinicianSummaryDto })
  @ApiErrors(400, 401, 403, 404, 409)
  refuse(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string, @Body() body: ClinicianReasonDto): Promise<ClinicianSummary> {
    return this.clinicians.decide(user, id, 'refuse', body.reason);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Suspend an approved clinician, with a reason: from this commit their consents let them read nothing (refusals audited in the patients’ trails); ' +
      'each patient concerned gets a row in their trail and a mail',
  })
  @ApiOkResponse({ type: ClinicianSummaryDto })
  @ApiErrors(400, 401, 403, 404, 409)
  suspend(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string, @Body() body: ClinicianReasonDto): Promise<ClinicianSummary> {
    return this.clinicians.decide(user, id, 'suspend', body.reason);
  }

  @Post(':id/end-sessions')
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session of a clinician (an account that may be in the wrong hands): their next request is 401, and they must sign in again' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 403, 404)
  async endSessions(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.clinicians.endSessions(user, id);
  }

  @Post(':id/reinstate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reinstate a suspended clinician: their consents work again; the patients concerned are told as for a suspension' })
  @ApiOkResponse({ type: ClinicianSummaryDto })
  @ApiErrors(400, 401, 403, 404, 409)
  reinstate(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<ClinicianSummary> {
    return this.clinicians.decide(user, id, 'reinstate');
  }
}
