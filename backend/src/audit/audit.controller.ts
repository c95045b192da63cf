import { Readable } from 'node:stream';
import { Body, Controller, Get, Header, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AUDIT_PEOPLE_MAX_IDS, type AccessReportPage, type AccessSummary, type AuditAccounts, type AuditEvent, type AuditHead, type AuditPage, type AuditPeople } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, ReadsOnly, Roles } from '../identity/decorators.js';
import { OwnTransactions } from '../db/transaction.interceptor.js';
import { ApiErrors, ApiIdListQuery } from '../common/swagger.js';
import { AccessReportService } from './access-report.service.js';
import { AuditPeopleService } from './audit-people.service.js';
import { AccessReportPageDto, AccessReportQueryDto } from './dto/access-report.dto.js';
import { AuditReadService } from './audit-read.service.js';
import { auditCsvHeader, auditCsvLines } from './audit-csv.js';
import { AccessSummaryDto, AuditAccountsDto, AuditAccountsQueryDto, AuditAccountsSearchDto, AuditPeopleDto, AuditPeopleQueryDto } from './dto/audit-people.dto.js';
import { AuditExportQueryDto, AuditHeadDto, AuditHeadQueryDto, AuditPageDto, AuditQueryDto } from './dto/audit-query.dto.js';
import { AuditEventDto } from '../contract/audit-event.dto.js';

/** The CSV file begins with this header line (audit-csv.ts), then one quoted line per row. */
const AUDIT_CSV_EXAMPLE = auditCsvHeader();

@ApiTags('audit')
@ApiBearerAuth()
@ApiExtraModels(AuditEventDto)
@Controller('audit')
export class AuditController {
  constructor(
    private readonly audit: AuditReadService,
    private readonly people: AuditPeopleService,
    private readonly accessReports: AccessReportService,
  ) {}

  @Get()
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({ summary: 'The trail, newest first: a patient’s own, a doctor’s own actions, or (auditor) everyone’s' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiErrors(400, 401, 403)
  page(@CurrentUser() user: AuthUser, @Query() query: AuditQueryDto): Promise<AuditPage> {
    return this.audit.page(user, query);
  }

  @Get('export')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @OwnTransactions()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The filtered rows as one CSV or JSON file, streamed' })
  @ApiProduces('text/csv', 'application/json')
  @ApiOkResponse({
    description: 'The file, as an attachment named audit-<date>.csv or .json',
    headers: { 'Content-Disposition': { description: 'attachment; filename="audit-YYYY-MM-DD.csv" (or .json)', schema: { type: 'string' } } },
    content: {
      'text/csv': { schema: { type: 'string', example: AUDIT_CSV_EXAMPLE } },
      'application/json': { schema: { type: 'array', items: { $ref: getSchemaPath(AuditEventDto) } } },
    },
  })
  @ApiErrors(400, 401, 403)
  async export(@CurrentUser() user: AuthUser, @Query() query: AuditExportQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<Readable> {
    const { format, ...filters } = query;
    const batches = await this.audit.exportBatches(user, filters);
    const stamp = new Date().toISOString().slice(0, 10);
    reply.header('content-disposition', `attachment; filename="audit-${stamp}.${format}"`);
    reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    return Readable.from(format === 'csv' ? csvText(batches) : jsonText(batches));
  }

  @Get('head')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({ summary: 'The head of a chain (seq and hash) to verify a trail against; auditors may name any subject' })
  @ApiOkResponse({ type: AuditHeadDto })
  @ApiErrors(400, 401, 403)
  head(@CurrentUser() user: AuthUser, @Query() query: AuditHeadQueryDto): Promise<AuditHead> {
    return this.audit.head(user, query.subjectId);
  }

  @Get('people')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({
    summary: 'Display names of the people in a trail: its subject and everyone who acted in it, or those of `ids` the caller may know',
    description: 'For display only. An auditor may name any subject or account; anyone else gets their own trail’s people.',
  })
  @ApiOkResponse({ type: AuditPeopleDto })
  @ApiIdListQuery('ids', AUDIT_PEOPLE_MAX_IDS, `Only these accounts, those of them the caller may know (at most ${AUDIT_PEOPLE_MAX_IDS})`)
  @ApiErrors(400, 401, 403)
  trailPeople(@CurrentUser() user: AuthUser, @Query() query: AuditPeopleQueryDto): Promise<AuditPeople> {
    return this.people.people(user, query);
  }

  @Get('accounts')
  @Roles('auditor')
  @ApiOperation({ summary: 'Every account, a page at a time, for choosing whose trail to read (auditors)' })
  @ApiOkResponse({ type: AuditAccountsDto })
  @ApiErrors(400, 401, 403)
  accounts(@CurrentUser() user: AuthUser, @Query() query: AuditAccountsQueryDto): Promise<AuditAccounts> {
    return this.people.accounts(user, query);
  }

  @Post('accounts/search')
  @HttpCode(200)
  @Roles('auditor')
  @ReadsOnly()
  @ApiOperation({ summary: 'The accounts whose name or role holds every word of q, a page at a time, for choosing whose trail to read (auditors); q in the body, never in a URL' })
  @ApiOkResponse({ type: AuditAccountsDto })
  @ApiErrors(400, 401, 403)
  searchAccounts(@CurrentUser() user: AuthUser, @Body() body: AuditAccountsSearchDto): Promise<AuditAccounts> {
    return this.people.searchAccounts(user, body);
  }

  @Get('access-summary')
  @Roles('patient')
  @ApiOperation({ summary: 'Who else opened, or tried to open, the patient’s records in the last 30 days, most recent first' })
  @ApiOkResponse({ type: AccessSummaryDto })
  @ApiErrors(401, 403)
  accessSummary(@CurrentUser() user: AuthUser): Promise<AccessSummary> {
    return this.people.accessSummary(user);
  }

  @Get('access-report')
  @Roles('patient')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The accounting of disclosures: who else opened the patient’s records in a period (at most six years), oldest first, a page at a time' })
  @ApiOkResponse({ type: AccessReportPageDto })
  @ApiErrors(400, 401, 403)
  accessReport(@CurrentUser() user: AuthUser, @Query() query: AccessReportQueryDto): Promise<AccessReportPage> {
    return this.accessReports.page(user, query);
  }
}

async function* csvText(batches: AsyncIterable<AuditEvent[]>): AsyncGenerator<string> {
  yield auditCsvHeader();
  for await (const rows of batches) yield auditCsvLines(rows);
}

/** The same text as JSON.stringify(rows, null, 2), one batch at a time. */
async function* jsonText(batches: AsyncIterable<AuditEvent[]>): AsyncGenerator<string> {
  let isFirst = true;
  for await (const rows of batches) {
    const items = rows.map((row) => `  ${JSON.stringify(row, null, 2).replace(/\n/g, '\n  ')}`).join(',\n');
    yield `${isFirst ? '[\n' : ',\n'}${items}`;
    isFirst = false;
  }
  yield isFirst ? '[]' : '\n]';
}
