import { Inject, Injectable } from '@nestjs/common';
import {
  API_PREFIX,
  FHIR_PAGE_DEFAULT,
  type FhirAuditEvent,
  type FhirBundle,
  type FhirConsent,
  type FhirSearchQuery,
} from '@phr/shared-types';
import { ConsentsRepository, type ConsentKey, type ConsentRow } from '../access/consents.repository.js';
import { AttemptOwners } from '../audit/attempt-owners.js';
import { AuditEventsRepository } from '../audit/audit-events.repository.js';
import { AuditPeopleRepository } from '../audit/audit-people.repository.js';
import { AuditReadService } from '../audit/audit-read.service.js';
import { auditRowToEvent } from '../audit/audit-row.js';
import { AuditService } from '../audit/audit.service.js';
import { decodeCursorMembers, encodeCursorMembers, isIssuedTime, isSequenceNumber, isUuid } from '../common/page-cursor.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { AuthUser } from '../identity/auth-user.js';
import { auditEventResource, type KnownPerson } from './audit-event-resource.js';
import { consentResource } from './consent-resource.js';

/** The name the exports give this service as the audit source and the server agent. */
const OBSERVER = 'phr-api';

/**
 * FHIR R4 exports (docs/protocol.md "FHIR exports"): a trail as AuditEvent resources and
 * consents as Consent resources, each page a searchset Bundle with a `next` link. Whose: the
 * caller's own; an auditor's `patient` (filed in that trail as `audit.export`). Anyone else
 * naming another subject is refused as for GET /audit (403, filed).
 */
@Injectable()
export class FhirExportsService {
  private readonly base: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly events: AuditEventsRepository,
    private readonly people: AuditPeopleRepository,
    private readonly trails: AuditReadService,
    private readonly consents: ConsentsRepository,
    private readonly owners: AttemptOwners,
    private readonly audit: AuditService,
  ) {
    this.base = `${config.portalOrigin}${API_PREFIX}/fhir`;
  }

  /** A page of a trail in chain order (seq ascending: the primary key), as AuditEvent resources. */
  async auditEvents(user: AuthUser, query: FhirSearchQuery): Promise<FhirBundle<FhirAuditEvent>> {
    const subject = await this.subjectOf(user, query.patient, 'AuditEvent');
    const afterSeq = query.cursor === undefined ? 0 : decodeCursorMembers(query.cursor, ([seq]) => (isSequenceNumber(seq) ? seq : null));
    const limit = query._count ?? FHIR_PAGE_DEFAULT;
    const rows = (await this.events.selectChain(subject, afterSeq, limit + 1)).map(auditRowToEvent);
    const page = rows.slice(0, limit);
    const ids = [subject, ...page.flatMap((row) => (row.actorId ? [row.actorId] : []))];
    const people = await this.namesOf(subject, ids);
    const last = page.at(-1);
    const next = rows.length > limit && last ? encodeCursorMembers([last.seq]) : null;
    return this.bundle('AuditEvent', query, next, page.map((row) => auditEventResource(row, people, OBSERVER)));
  }

  /** A page of consents, oldest first: a patient's own, a doctor's (those naming them), or an auditor's `patient`'s. */
  async consentResources(user: AuthUser, query: FhirSearchQuery): Promise<FhirBundle<FhirConsent>> {
    const subject = await this.subjectOf(user, query.patient, 'Consent');
    const after = query.cursor === undefined ? null : decodeConsentCursor(query.cursor);
    const limit = query._count ?? FHIR_PAGE_DEFAULT;
    const rows = await this.consentRows(user, subject, after, limit + 1);
    const page = rows.slice(0, limit);
    const parties = [...new Set(page.flatMap((consent) => [consent.patientId, consent.doctorId]))];
    const people = await this.namesOf(subject, parties);
    // The other parties of the caller's own consents on this page (a patient's doctors, a doctor's patients), not of all of them.
    const otherRole = user.role === 'doctor' ? 'patient' : 'doctor';
    const unnamed = parties.filter((id) => !people.has(id));
    for (const [id, displayName] of await this.consents.partyNamesOf(unnamed)) people.set(id, { displayName, role: otherRole });
    const last = page.at(-1);
    const next = rows.length > limit && last ? encodeCursorMembers([last.createdAt.toISOString(), last.id]) : null;
    return this.bundle('Consent', query, next, page.map((consent) => consentResource(consent, people)));
  }

  private consentRows(user: AuthUser, subject: string, after: ConsentKey | null, limit: number): Promise<ConsentRow[]> {
    if (user.role === 'auditor') return this.consents.auditorPage(subject, after, limit);
    return this.consents.pageFor(user.role === 'doctor' ? 'doctor_id' : 'patient_id', user.userId, after, limit);
  }

  /** Whose: the caller's own, or (auditors) `patient`; an auditor's read of another's is filed in that trail (or their own when it has none). */
  // eslint-disable-next-line sonarjs/no-invariant-returns -- both paths return the subject; they differ in what they audit first
  private async subjectOf(user: AuthUser, patient: string | undefined, type: 'AuditEvent' | 'Consent'): Promise<string> {
    await this.trails.refuseOtherTrail(user, patient, 'audit.export');
    const subject = user.role === 'auditor' && patient !== undefined ? patient.toLowerCase() : user.userId;
    if (subject === user.userId) return subject;
    if (await this.owners.hasTrail(subject)) await this.audit.allowNow({ subjectId: subject, action: 'audit.export', reason: `FHIR ${type} bundle` });
    else await this.audit.allowNow({ subjectId: user.userId, action: 'audit.export', reason: `FHIR ${type} bundle of the empty trail of ${subject}` });
    return subject;
  }

  private async namesOf(subject: string, ids: string[]): Promise<Map<string, KnownPerson>> {
    const rows = await this.people.people(subject, [...new Set(ids)]);
    return new Map(rows.map((row) => [row.id, { displayName: row.display_name, role: row.role }]));
  }

  private bundle<R extends FhirAuditEvent | FhirConsent>(type: R['resourceType'], query: FhirSearchQuery, next: string | null, resources: R[]): FhirBundle<R> {
    const url = (cursor: string | undefined) => {
      const params = new URLSearchParams();
      if (query.patient) params.set('patient', query.patient.toLowerCase());
      if (query._count) params.set('_count', String(query._count));
      if (cursor) params.set('cursor', cursor);
      const text = params.toString();
      return `${this.base}/${type}${text ? `?${text}` : ''}`;
    };
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      timestamp: new Date().toISOString(),
      link: [{ relation: 'self', url: url(query.cursor) }, ...(next ? [{ relation: 'next' as const, url: url(next) }] : [])],
      entry: resources.map((resource) => ({ fullUrl: `${this.base}/${type}/${resource.id}`, resource, search: { mode: 'match' as const } })),
    };
  }
}

function decodeConsentCursor(cursor: string): ConsentKey {
  return decodeCursorMembers(cursor, ([createdAt, id]) => (isIssuedTime(createdAt) && isUuid(id) ? { createdAt, id } : null));
}
