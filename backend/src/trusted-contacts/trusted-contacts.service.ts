import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ERROR_CODES,
  recordLayout,
  type ContactCandidate,
  type NameTrustedContactRequest,
  type RecordDetail,
  type RecordPage,
  type RewrapTrustedContactRequest,
  type SegmentUrl,
  type TrustedContact,
  type TrustedContactList,
  type UpdateTrustedContactRequest,
} from '@phr/shared-types';
import { AttemptOwners } from '../audit/attempt-owners.js';
import { AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { AuthUser } from '../identity/auth-user.js';
import { normalizeEmail } from '../identity/email.js';
import { toSummary } from '../records/records.service.js';
import { segmentObjectKey } from '../records/object-keys.js';
import { StorageService } from '../storage/storage.service.js';
import { TrustedContactsRepository, type TrustedContactRow } from '../access/trusted-contacts.repository.js';
import { assertWrapsMatch } from '../access/wraps-match.js';

/** The reason every allowed read by a trusted contact carries (shared with break-glass and consents). */
export const TRUSTED_CONTACT_READ_REASON = 'trusted contact';

/**
 * Trusted contacts (issue 16, docs/protocol.md "Trusted contacts"): the patient names, changes,
 * refuses and removes; the contact asks, and reads once the database says the wait passed.
 * Every step is filed in the patient's trail. Who may see which wrap is RLS
 * (contact_wraps_released), not a condition here: this service only says why nothing came.
 */
@Injectable()
export class TrustedContactsService {
  private readonly downloadUrlSeconds: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly audit: AuditService,
    private readonly owners: AttemptOwners,
    private readonly storage: StorageService,
    private readonly contacts: TrustedContactsRepository,
  ) {
    this.downloadUrlSeconds = config.records.downloadUrlSeconds;
  }

  /** A patient account to name, by exact email (no partial matches: this is no directory of patients). */
  async findCandidate(user: AuthUser, email: string): Promise<ContactCandidate> {
    const candidate = await this.contacts.candidate(normalizeEmail(email));
    if (!candidate) {
      this.audit.deny({ subjectId: user.userId, action: 'contact.lookup', reason: 'no patient account with this email' });
      throw ApiError.notFound('No patient account with this email');
    }
    await this.audit.allow({ subjectId: user.userId, action: 'contact.lookup', reason: `found ${candidate.id}` });
    return candidate;
  }

  /** Names a contact with the wraps of exactly the records in scope, made for the contact's current key. */
  async name(user: AuthUser, request: NameTrustedContactRequest): Promise<TrustedContact> {
    if ((request.scope === 'folder') !== (request.folderId !== undefined)) {
      throw ApiError.validation([{ field: 'folderId', message: 'folderId is required with scope "folder" and only then' }]);
    }
    // By the email, as the look-up finds a contact: an account's id alone is public (the key directory), its name is not.
    const candidate = await this.contacts.candidate(normalizeEmail(request.email));
    if (!candidate || candidate.id !== request.contactId) {
      this.audit.deny({ subjectId: user.userId, action: 'contact.named', reason: 'the email names no other patient account, or another one than contactId' });
      throw ApiError.validation([{ field: 'email', message: 'email and contactId do not name the same other patient account' }]);
    }
    if (request.scope === 'folder' && (await this.owners.ownerOf('folder', request.folderId as string)) !== user.userId) {
      throw ApiError.validation([{ field: 'folderId', message: 'folderId names no folder of yours' }]);
    }
    if (await this.contacts.exists(user.userId, request.contactId)) {
      throw new ApiError(409, ERROR_CODES.conflict, 'This account is already one of your trusted contacts: change or remove it');
    }
    this.assertCurrentKey(user, candidate.fingerprint, request.fingerprint, 'contact.named');
    const contact: TrustedContactRow = {
      id: randomUUID(),
      patientId: user.userId,
      contactId: request.contactId,
      scope: request.scope,
      folderId: request.folderId ?? null,
      waitDays: request.waitDays,
      keyFingerprint: request.fingerprint,
      requestedAt: null,
      refusedAt: null,
      releasedAt: null,
      createdAt: new Date(),
      releasesAt: null,
      isReleased: false,
    };
    assertWrapsMatch(await this.contacts.idsInScope(user.userId, contact.scope, contact.folderId), request.wraps.map((wrap) => wrap.recordId));
    await this.contacts.insert(contact);
    await this.contacts.insertWraps(contact, request.wraps);
    await this.audit.allow({ subjectId: user.userId, action: 'contact.named', reason: `contact ${contact.contactId}, ${describe(contact)}` });
    return (await this.present([contact]))[0];
  }

  async list(user: AuthUser): Promise<TrustedContactList> {
    const rows = await this.contacts.listFor(user.userId);
    const patients = new Set(rows.map((row) => row.patientId));
    patients.add(user.userId);
    for (const patientId of patients) {
      await this.audit.allow({ subjectId: patientId, action: 'contact.list', reason: `${rows.filter((row) => row.patientId === patientId).length} trusted contact(s)` });
    }
    return { items: await this.present(rows) };
  }

  /** A new wait: a request under way is measured against it from now on. */
  async update(user: AuthUser, id: string, request: UpdateTrustedContactRequest): Promise<TrustedContact> {
    const contact = await this.requireAsPatient(user, id, 'contact.changed');
    await this.contacts.setWait(id, request.waitDays);
    await this.audit.allow({ subjectId: user.userId, action: 'contact.changed', reason: `contact ${contact.contactId}, wait ${contact.waitDays} → ${request.waitDays} day(s)` });
    return this.presentOne(id);
  }

  /** Removes the contact; the wraps go with it, in the same transaction (a request under way ends). */
  async remove(user: AuthUser, id: string): Promise<void> {
    const contact = await this.requireAsPatient(user, id, 'contact.removed');
    await this.contacts.delete(id);
    await this.audit.allow({ subjectId: user.userId, action: 'contact.removed', reason: `contact ${contact.contactId}` });
  }

  /** Replaces every wrap in scope with wraps made for the contact's current key (after the contact's key-pair rotation). */
  async rewrap(user: AuthUser, id: string, request: RewrapTrustedContactRequest): Promise<TrustedContact> {
    const contact = await this.requireAsPatient(user, id, 'contact.rewrap');
    const parties = await this.contacts.partyNames();
    this.assertCurrentKey(user, parties.get(contact.contactId)?.fingerprint ?? null, request.fingerprint, 'contact.rewrap');
    assertWrapsMatch(await this.contacts.idsInScope(user.userId, contact.scope, contact.folderId), request.wraps.map((wrap) => wrap.recordId));
    await this.contacts.replaceWraps(contact, request.wraps, request.fingerprint);
    await this.audit.allow({ subjectId: user.userId, action: 'contact.rewrap', reason: `contact ${contact.contactId}, ${request.wraps.length} wrap(s) for key ${request.fingerprint}` });
    return this.presentOne(id);
  }

  /** The contact asks for access: the wait starts (a request already under way keeps its time); the patient is notified (contact.requested is notifiable). */
  async request(user: AuthUser, id: string): Promise<TrustedContact> {
    const contact = await this.requireAsContact(user, id, 'contact.requested');
    await this.contacts.request(id);
    const requested = await this.presentOne(id);
    if (contact.requestedAt === null) {
      await this.audit.allow({ subjectId: contact.patientId, action: 'contact.requested', reason: `wait ${contact.waitDays} day(s), until ${requested.releasesAt}` });
    }
    return requested;
  }

  /** The patient refuses the request under way (at any time during the wait, or after a release: it ends). */
  async refuse(user: AuthUser, id: string): Promise<TrustedContact> {
    const contact = await this.requireAsPatient(user, id, 'contact.refused');
    if (contact.requestedAt === null) {
      this.audit.deny({ subjectId: user.userId, action: 'contact.refused', reason: 'no request under way' });
      throw new ApiError(409, ERROR_CODES.conflict, 'There is no request under way to refuse');
    }
    await this.contacts.refuse(id, new Date());
    await this.audit.allow({ subjectId: user.userId, action: 'contact.refused', reason: `contact ${contact.contactId}` });
    return this.presentOne(id);
  }

  /** The released records with the contact's wraps; nothing before the release (RLS), said as 409 CONTACT_NOT_RELEASED. */
  async records(user: AuthUser, id: string): Promise<RecordPage> {
    const contact = await this.requireAsContact(user, id, 'record.list');
    if (!contact.isReleased) return this.notReleased(contact, 'record.list');
    await this.assertWrapsCurrent(contact, 'record.list');
    const rows = await this.contacts.releasedRecords(id, null);
    await this.fileRelease(contact);
    await this.audit.allow({ subjectId: contact.patientId, action: 'record.list', reason: `${rows.length} record(s), ${TRUSTED_CONTACT_READ_REASON}` });
    return { items: rows.map((row) => toSummary(row, row.wrap)), nextCursor: null };
  }

  /** One released record: the contact's wrap, the sealed metadata and GET URLs of about a minute (read-only: no other route lets a contact change it). */
  async record(user: AuthUser, id: string, recordId: string): Promise<RecordDetail> {
    const contact = await this.requireAsContact(user, id, 'record.read', recordId);
    if (!contact.isReleased) return this.notReleased(contact, 'record.read', recordId);
    await this.assertWrapsCurrent(contact, 'record.read', recordId);
    const [row] = await this.contacts.releasedRecords(id, recordId);
    if (!row) {
      this.audit.deny({ subjectId: contact.patientId, action: 'record.read', recordId, reason: 'not in the trusted contact’s scope' });
      throw ApiError.notFound('No such record');
    }
    await this.fileRelease(contact);
    await this.audit.allow({ subjectId: contact.patientId, action: 'record.read', recordId, reason: TRUSTED_CONTACT_READ_REASON });
    const expiresAt = new Date(Date.now() + this.downloadUrlSeconds * 1000);
    const segments: SegmentUrl[] = recordLayout(row.size, row.chunkBytes).segments.map((segment) => ({
      index: segment.index,
      byteLength: segment.byteLength,
      ...this.storage.presignGet(segmentObjectKey(row.id, segment.index), this.downloadUrlSeconds),
    }));
    return { ...toSummary(row, row.wrap), segments, expiresAt: expiresAt.toISOString() };
  }

  /** contact.released, once per request: the first hand-out of the wraps after the wait. */
  private async fileRelease(contact: TrustedContactRow): Promise<void> {
    if (await this.contacts.markReleased(contact.id)) {
      await this.audit.allow({ subjectId: contact.patientId, action: 'contact.released', reason: `requested ${contact.requestedAt?.toISOString()}, wait ${contact.waitDays} day(s)` });
    }
  }

  /**
   * The contact's wraps are all made for one key (the patient re-makes them together): after the
   * contact's key-pair rotation none opens, until the patient re-makes them. Said as for a doctor
   * (409 WRAP_STALE), with nothing handed out.
   */
  private async assertWrapsCurrent(contact: TrustedContactRow, action: 'record.list' | 'record.read', recordId?: string): Promise<void> {
    const current = (await this.contacts.partyNames()).get(contact.contactId)?.fingerprint ?? null;
    if (current === contact.keyFingerprint) return;
    this.audit.deny({ subjectId: contact.patientId, action, recordId, reason: `trusted contact's wraps made for key ${contact.keyFingerprint}, which the contact has replaced` });
    throw new ApiError(409, ERROR_CODES.wrapStale, 'The records were wrapped for a key you have since replaced: the patient must re-make them for your new key');
  }

  private notReleased(contact: TrustedContactRow, action: 'record.list' | 'record.read', recordId?: string): never {
    const why = contact.requestedAt === null ? 'no request under way' : `the wait runs until ${contact.releasesAt?.toISOString()}`;
    this.audit.deny({ subjectId: contact.patientId, action, recordId, reason: `trusted contact not released: ${why}` });
    throw new ApiError(409, ERROR_CODES.contactNotReleased, `Nothing is released to you yet: ${why}`);
  }

  /** The caller's own trusted contact as its patient; else the same 404 as for none, filed in the patient's trail. */
  private async requireAsPatient(user: AuthUser, id: string, action: 'contact.changed' | 'contact.removed' | 'contact.rewrap' | 'contact.refused'): Promise<TrustedContactRow> {
    const contact = await this.contacts.find(id);
    if (contact?.patientId === user.userId) return contact;
    return this.notFound(user, id, action);
  }

  /** A trusted contact naming the caller as contact; else the same 404, filed in the patient's trail. */
  private async requireAsContact(user: AuthUser, id: string, action: 'contact.requested' | 'record.list' | 'record.read', recordId?: string): Promise<TrustedContactRow> {
    const contact = await this.contacts.find(id);
    if (contact?.contactId === user.userId) return contact;
    return this.notFound(user, id, action, recordId);
  }

  private async notFound(user: AuthUser, id: string, action: 'contact.changed' | 'contact.removed' | 'contact.rewrap' | 'contact.refused' | 'contact.requested' | 'record.list' | 'record.read', recordId?: string): Promise<never> {
    const patient = await this.owners.ownerOf('trustedContact', id);
    const reason = patient === null ? 'no such trusted contact' : patient === user.userId ? 'only the contact may do this' : 'not a party to this trusted contact';
    this.audit.deny({ subjectId: patient ?? user.userId, action, recordId, reason: `${reason} (${id})` });
    throw ApiError.notFound('No such trusted contact');
  }

  /** Wraps made for a key the contact has replaced since the patient's browser looked it up are refused. */
  private assertCurrentKey(user: AuthUser, current: string | null, fingerprint: string, action: 'contact.named' | 'contact.rewrap'): void {
    if (current === fingerprint) return;
    this.audit.deny({ subjectId: user.userId, action, reason: `wraps made for key ${fingerprint}, not the contact's current key` });
    throw new ApiError(409, ERROR_CODES.keyChanged, 'The wraps were made for another key than the contact’s current one: prove the contact’s key in the key directory again');
  }

  private async presentOne(id: string): Promise<TrustedContact> {
    const contact = await this.contacts.find(id);
    return (await this.present(contact ? [contact] : []))[0];
  }

  /** Trusted contacts as the API shows them, with both parties' names. */
  private async present(rows: TrustedContactRow[]): Promise<TrustedContact[]> {
    const parties = await this.contacts.partyNames();
    return rows.map((row) => ({
      id: row.id,
      patientId: row.patientId,
      patientName: parties.get(row.patientId)?.displayName ?? '',
      contactId: row.contactId,
      contactName: parties.get(row.contactId)?.displayName ?? '',
      scope: row.scope,
      folderId: row.folderId,
      waitDays: row.waitDays,
      status: row.isReleased ? 'released' : row.requestedAt ? 'waiting' : 'standby',
      requestedAt: row.requestedAt?.toISOString() ?? null,
      releasesAt: row.releasesAt?.toISOString() ?? null,
      refusedAt: row.refusedAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      isWrapStale: (parties.get(row.contactId)?.fingerprint ?? row.keyFingerprint) !== row.keyFingerprint,
    }));
  }
}

function describe(contact: Pick<TrustedContactRow, 'scope' | 'folderId' | 'waitDays'>): string {
  return `${contact.scope === 'all' ? 'all records' : `folder ${contact.folderId}`}, wait ${contact.waitDays} day(s)`;
}
