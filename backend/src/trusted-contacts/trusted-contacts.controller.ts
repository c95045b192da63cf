import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ContactCandidate, RecordDetail, RecordPage, TrustedContact, TrustedContactList } from '@phr/shared-types';
import { BodyLimit } from '../common/body-limit.js';
import { uuidParam } from '../common/ids.js';
import { ApiErrors } from '../common/swagger.js';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { RateLimited } from '../rate-limit/rate-limited.decorator.js';
import { RecordDetailDto, RecordPageDto } from '../contract/record-summary.dto.js';
import {
  CONTACT_BODY_LIMIT_BYTES,
  ContactCandidateDto,
  ContactCandidateRequestDto,
  NameTrustedContactDto,
  RewrapTrustedContactDto,
  TrustedContactDto,
  TrustedContactListDto,
  UpdateTrustedContactDto,
} from './dto/trusted-contacts.dto.js';
import { TrustedContactsService } from './trusted-contacts.service.js';

/** Trusted contacts (docs/protocol.md "Trusted contacts"): patients on both sides; the contact's reads are read-only. */
@ApiTags('trusted contacts')
@ApiBearerAuth()
@Controller('trusted-contacts')
export class TrustedContactsController {
  constructor(private readonly contacts: TrustedContactsService) {}

  @Post('candidates')
  @HttpCode(200)
  @Roles('patient')
  @RateLimited('doctorSearch')
  @ApiOperation({ summary: 'Find the patient account an exact email names, with its public key and fingerprint, to name as a trusted contact (the email in the body, never in a URL)' })
  @ApiOkResponse({ type: ContactCandidateDto })
  @ApiErrors(400, 401, 403, 404)
  findCandidate(@CurrentUser() user: AuthUser, @Body() body: ContactCandidateRequestDto): Promise<ContactCandidate> {
    return this.contacts.findCandidate(user, body.email);
  }

  @Post()
  @Roles('patient')
  @RateLimited('doctorSearch')
  @BodyLimit(CONTACT_BODY_LIMIT_BYTES)
  @ApiOperation({ summary: 'Name a trusted contact: scope, wait, and the contact’s wraps of every file key in scope' })
  @ApiCreatedResponse({ type: TrustedContactDto })
  @ApiErrors(400, 401, 403, 409, 413)
  name(@CurrentUser() user: AuthUser, @Body() body: NameTrustedContactDto): Promise<TrustedContact> {
    return this.contacts.name(user, body);
  }

  @Get()
  @Roles('patient')
  @ApiOperation({ summary: 'The trusted contacts the caller named, and those naming the caller, newest first' })
  @ApiOkResponse({ type: TrustedContactListDto })
  @ApiErrors(401, 403)
  list(@CurrentUser() user: AuthUser): Promise<TrustedContactList> {
    return this.contacts.list(user);
  }

  @Patch(':id')
  @Roles('patient')
  @ApiOperation({ summary: 'Change a trusted contact’s wait (the patient)' })
  @ApiOkResponse({ type: TrustedContactDto })
  @ApiErrors(400, 401, 403, 404)
  update(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string, @Body() body: UpdateTrustedContactDto): Promise<TrustedContact> {
    return this.contacts.update(user, id, body);
  }

  @Delete(':id')
  @Roles('patient')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a trusted contact (the patient): the contact’s wraps go in the same transaction' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(400, 401, 403, 404)
  remove(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.contacts.remove(user, id);
  }

  @Put(':id/wraps')
  @Roles('patient')
  @BodyLimit(CONTACT_BODY_LIMIT_BYTES)
  @ApiOperation({ summary: 'Re-make every wrap of a trusted contact for the contact’s current key (the patient)' })
  @ApiOkResponse({ type: TrustedContactDto })
  @ApiErrors(400, 401, 403, 404, 409, 413)
  rewrap(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string, @Body() body: RewrapTrustedContactDto): Promise<TrustedContact> {
    return this.contacts.rewrap(user, id, body);
  }

  @Post(':id/request')
  @Roles('patient')
  @HttpCode(200)
  @ApiOperation({ summary: 'Ask for access as the trusted contact: the wait starts and the patient is notified' })
  @ApiOkResponse({ type: TrustedContactDto })
  @ApiErrors(400, 401, 403, 404)
  request(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<TrustedContact> {
    return this.contacts.request(user, id);
  }

  @Post(':id/refuse')
  @Roles('patient')
  @HttpCode(200)
  @ApiOperation({ summary: 'Refuse the contact’s request under way (the patient): nothing is released' })
  @ApiOkResponse({ type: TrustedContactDto })
  @ApiErrors(400, 401, 403, 404, 409)
  refuse(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<TrustedContact> {
    return this.contacts.refuse(user, id);
  }

  @Get(':id/records')
  @Roles('patient')
  @ApiOperation({ summary: 'The records released to the trusted contact, with the contact’s wraps (only after the wait)' })
  @ApiOkResponse({ type: RecordPageDto })
  @ApiErrors(400, 401, 403, 404, 409)
  records(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<RecordPage> {
    return this.contacts.records(user, id);
  }

  @Get(':id/records/:recordId')
  @Roles('patient')
  @ApiOperation({ summary: 'One released record for the trusted contact: wrap, sealed metadata and GET URLs of about a minute' })
  @ApiOkResponse({ type: RecordDetailDto })
  @ApiErrors(400, 401, 403, 404, 409)
  record(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string, @Param('recordId', uuidParam('recordId')) recordId: string): Promise<RecordDetail> {
    return this.contacts.record(user, id, recordId);
  }
}
