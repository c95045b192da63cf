/**
 * The soak's people, doing what the portal does with the real protocol code
 * (frontend/src/crypto, on Node's WebCrypto): a patient registers with a
 * PBKDF2-derived auth key and a fresh RSA key pair, signs in again by
 * deriving it anew, seals each record in the STREAM construction under its
 * own file key and PUTs the segments to the pre-signed URLs, reads records
 * back and decrypts them, shares one with a doctor by wrapping its file key
 * for the doctor's public key, and revokes; a doctor reads and decrypts what
 * was shared. Every request goes through the typed client and is counted in
 * the stats; every audited one in the ledger.
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { browserLikeClient, type AnyRoute, type BrowserLikeClient, type RouteResult, type SendArgs } from '@phr/api-client';
import { ROUTES, isSecondFactorChallenge, recordLayout, type Consent, type RecordDetail, type ResponseOf, type SelfRegisteringRole, type SessionResponse, PRIVACY_NOTICE_VERSION } from '@phr/shared-types';
import { decideOnClinician } from '@phr/backend/test-support/factories.js';
import { registrationTokenIn, type Mailbox } from '../../local/mail/mailbox.js';
import { createAccount, unlockKeys, type UnlockedKeys } from '../../../frontend/src/crypto/account.js';
import { fromBase64Url } from '../../../frontend/src/crypto/encoding.js';
import { derivePasswordKeys } from '../../../frontend/src/crypto/kdf.js';
import { importDoctorKey, newFileKey, openOwnerWrap, sealMetadata, unwrapForDoctor, unwrapForOwner, wrapForDoctor, wrapForOwner } from '../../../frontend/src/crypto/record-keys.js';
import { RecordDecryptor, sealSegment } from '../../../frontend/src/crypto/record-stream.js';
import type { AuditLedger, AuditedAction } from './ledger.js';
import type { SoakStats } from './stats.js';

export interface SoakApi {
  apiUrl: string;
  portalOrigin: string;
  ownerUrl: string;
  mailbox: Mailbox;
  stats: SoakStats;
  ledger: AuditLedger;
}

/** A record the API acknowledged (its commit answered 201): what its bytes must decrypt to. */
export interface CommittedRecord {
  recordId: string;
  ownerId: string;
  size: number;
  sha256: string;
  /** The owner's wrap as committed, to wrap the file key for a doctor without a read. */
  ownerWrap: string;
}

/** A call's answer, or null when none came (the API down, a connection cut). */
export type Answer<T> = RouteResult<T> | null;

/** Refresh the access token well before its 15 minutes are up. */
const TOKEN_REFRESH_MS = 10 * 60_000;

export class Person {
  private tokenAt = Date.now();
  private refreshing: Promise<void> | null = null;

  private constructor(
    readonly api: SoakApi,
    readonly role: SelfRegisteringRole,
    readonly email: string,
    readonly password: string,
    readonly client: BrowserLikeClient,
    private session: SessionResponse,
    private keys: UnlockedKeys,
  ) {}

  get userId(): string {
    return this.session.user.id;
  }

  get fingerprint(): string {
    return this.session.keys.fingerprint;
  }

  get keyGeneration(): number {
    return this.session.keys.keyGeneration;
  }

  get privateKey(): CryptoKey {
    return this.keys.privateKey;
  }

  /** Registers as a person does: the email, the link's token from the mail, the keys made in the "browser". */
  static async register(api: SoakApi, role: SelfRegisteringRole): Promise<Person | null> {
    const email = `soak-${role}-${randomUUID().slice(0, 8)}@example.org`;
    const password = `soak ${randomBytes(9).toString('base64url')} lantern`;
    const client = browserLikeClient(api.apiUrl, api.portalOrigin);
    const started = await timed(api, 'POST /auth/register/start', [202], () => client.send(ROUTES.startRegistration, { body: { email, role } }));
    if (started?.status !== 202) return null;
    // The mail leaves through the outbox: a fault can hold it back for a while.
    const token = registrationTokenIn(await api.mailbox.next(email, { timeoutMs: 180_000 }));
    if (!token) throw new Error(`no registration link in the mail to ${email}`);
    const account = await createAccount(password);
    const body = {
      registrationToken: token,
      email,
      displayName: role === 'doctor' ? `Dr. Soak ${email.slice(12, 16)}` : `Soak Patient ${email.slice(13, 17)}`,
      role,
      ...(role === 'doctor' ? { licence: `GMC ${7_000_000 + randomInt(999_999)}`, organisation: 'Soak Hospital' } : {}),
      authKey: account.authKey,
      kdf: account.kdf,
      keys: account.keys,
      recovery: account.recovery,
      privacyNoticeVersion: PRIVACY_NOTICE_VERSION,
    };
    const registered = await timed(api, 'POST /auth/register', [201], () => client.send(ROUTES.register, { body }));
    if (registered?.status !== 201) return null;
    const person = new Person(api, role, email, password, client, registered.body, account.unlocked);
    if (role === 'doctor') await decideOnClinician({ baseUrl: api.apiUrl, mail: api.mailbox, ownerUrl: api.ownerUrl }, person.userId, 'approve');
    return person;
  }

  /** Signs in again: the KDF parameters, the auth key derived from the password, then the keys opened with the KEK. */
  async signIn(): Promise<boolean> {
    // Without a token, and never through send(): a refresh that failed signs in again, and must not wait for itself.
    const prelogin = await timed(this.api, 'POST /auth/prelogin', [200], () => this.client.send(ROUTES.prelogin, { body: { email: this.email } }));
    if (prelogin?.status !== 200) return false;
    const { authKey, kek } = await derivePasswordKeys(this.password, prelogin.body.kdf);
    const login = await timed(this.api, 'POST /auth/login', [200], () => this.client.send(ROUTES.login, { body: { email: this.email, authKey } }));
    this.api.ledger.attempt(this.userId, 'session.login', login?.status ?? 'network');
    if (login?.status !== 200) return false;
    if (isSecondFactorChallenge(login.body)) throw new Error('the soak accounts have no second factor');
    this.session = login.body;
    this.keys = await unlockKeys(kek, login.body.keys);
    this.tokenAt = Date.now();
    return true;
  }

  /** A typed call with this person's token, timed and counted; null when no answer came. */
  async send<R extends AnyRoute>(label: string, expected: readonly number[], route: R, ...[options]: SendArgs<R>): Promise<Answer<ResponseOf<R>>> {
    if (Date.now() - this.tokenAt > TOKEN_REFRESH_MS) await this.refresh();
    const call = { ...(options ?? {}), token: this.session.accessToken } as SendArgs<R>[0];
    return timed(this.api, label, expected, () => this.client.send(route, ...([call] as SendArgs<R>)));
  }

  /** The access token, refreshed first when it is old (for the malformed requests, which are sent unchecked). */
  async currentToken(): Promise<string> {
    if (Date.now() - this.tokenAt > TOKEN_REFRESH_MS) await this.refresh();
    return this.session.accessToken;
  }

  audited(action: AuditedAction, subjectId: string, answer: Answer<unknown>): void {
    this.api.ledger.attempt(subjectId, action, answer?.status ?? 'network');
  }

  /**
   * One refresh at a time per person: two with the same refresh cookie would be taken for a
   * stolen token's reuse, and the API would end the session (docs/protocol.md).
   */
  private refresh(): Promise<void> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    const refreshed = await timed(this.api, 'POST /auth/refresh', [200], () => this.client.send(ROUTES.refresh));
    if (refreshed?.status === 200) {
      this.session = { ...this.session, accessToken: refreshed.body.accessToken };
      this.tokenAt = Date.now();
    } else if (refreshed?.status === 401) {
      await this.signIn();
    }
  }

  // Patients

  /** Presign, seal and PUT every segment, commit; the record when the commit was acknowledged. */
  async upload(size: number): Promise<CommittedRecord | null> {
    const presigned = await this.send('POST /records/presign', [200], ROUTES.presignUpload, { body: { size } });
    this.audited('record.upload', this.userId, presigned);
    if (presigned?.status !== 200) return null;
    const { recordId, chunkBytes, segments } = presigned.body;
    const plaintext = randomBytes(size);
    const layout = recordLayout(size, chunkBytes);
    const fileKey = await newFileKey();
    const file = new Blob([new Uint8Array(plaintext)]);
    for (const segment of segments) {
      const sealed = await sealSegment(fileKey.key, recordId, file, layout, layout.segments[segment.index], chunkBytes);
      const put = await timed(this.api, 'S3 PUT segment', [200], () => rawFetch(segment.url, { method: 'PUT', body: new Blob(sealed), headers: segment.headers }));
      if (put?.status !== 200) return null;
    }
    const metadata = { fileName: `soak-${recordId.slice(0, 8)}.bin`, mimeType: 'application/octet-stream', title: 'Soak record', date: '2026-12-05', category: 'other' as const, notes: '' };
    const ownerWrap = await wrapForOwner(this.keys.accountKey, fileKey.raw, recordId, this.userId);
    const body = { recordId, metadata: await sealMetadata(fileKey.key, recordId, metadata), ownerWrap, keyGeneration: this.keyGeneration };
    fileKey.raw.fill(0);
    const committed = await this.send('POST /records', [201], ROUTES.commitRecord, { body });
    this.audited('record.create', this.userId, committed);
    if (committed?.status !== 201) return null;
    return { recordId, ownerId: this.userId, size, sha256: sha256(plaintext), ownerWrap };
  }

  /** GET /records/:id, every segment from its URL, decrypted; the plaintext's SHA-256, or null when no complete answer came. */
  async read(record: CommittedRecord, expected: readonly number[] = [200]): Promise<{ status: number; sha256: string | null } | null> {
    const label = this.role === 'doctor' ? 'GET /records/:id (doctor)' : 'GET /records/:id';
    const answer = await this.send(label, expected, ROUTES.getRecord, { params: { id: record.recordId } });
    this.audited('record.read', record.ownerId, answer);
    if (!answer) return null;
    if (answer.status !== 200) return { status: answer.status, sha256: null };
    const key =
      this.role === 'doctor'
        ? await unwrapForDoctor(this.keys.privateKey, answer.body.wrap, record.recordId, this.userId, this.fingerprint)
        : await unwrapForOwner(this.keys.accountKey, answer.body.wrap, record.recordId, record.ownerId);
    const plaintext = await this.fetchAndDecrypt(key, record.recordId, answer.body);
    return plaintext ? { status: 200, sha256: sha256(plaintext) } : null;
  }

  private async fetchAndDecrypt(key: CryptoKey, recordId: string, detail: RecordDetail): Promise<Buffer | null> {
    const decryptor = new RecordDecryptor(key, recordId);
    const parts: Uint8Array[] = [];
    for (const segment of [...detail.segments].sort((a, b) => a.index - b.index)) {
      const got = await timed(this.api, 'S3 GET segment', [200], () => rawFetch(segment.url, { headers: segment.headers }));
      if (got?.status !== 200) return null;
      parts.push(...(await decryptor.push(new Uint8Array(got.bytes))));
    }
    parts.push(await decryptor.finish());
    return Buffer.concat(parts);
  }

  /**
   * Shares one record with a doctor: the doctor's key from the API, the file key wrapped for it, a consent over that record.
   * The consent; `false` when none was made (no grant sent, or the grant refused with a 4xx); null when the grant got
   * no answer or a 5xx, so it may have committed.
   */
  async share(record: CommittedRecord, doctorId: string): Promise<Consent | false | null> {
    const key = await this.send('GET /users/:id/public-key', [200], ROUTES.publicKey, { params: { id: doctorId } });
    if (key?.status !== 200) return false;
    const doctorKey = await importDoctorKey(fromBase64Url(key.body.publicKey));
    const raw = await openOwnerWrap(this.keys.accountKey, record.ownerWrap, record.recordId, this.userId);
    const wrap = await wrapForDoctor(doctorKey, raw, record.recordId, doctorId, key.body.fingerprint);
    raw.fill(0);
    const body = { doctorId, scope: 'record' as const, recordId: record.recordId, wraps: [{ recordId: record.recordId, wrap }], fingerprint: key.body.fingerprint, purpose: 'Soak' };
    const granted = await this.send('POST /consents', [201], ROUTES.createConsent, { body });
    this.audited('consent.grant', this.userId, granted);
    if (granted?.status === 201) return granted.body;
    return granted && granted.status < 500 ? false : null;
  }

  /** Whether the consent was revoked: `false` when refused with a 4xx, null when no answer or a 5xx came (it may have committed). */
  async revoke(consentId: string): Promise<boolean | null> {
    const revoked = await this.send('PATCH /consents/:id', [200], ROUTES.updateConsent, { params: { id: consentId }, body: { status: 'revoked' } });
    this.audited('consent.revoke', this.userId, revoked);
    if (revoked?.status === 200) return true;
    return revoked && revoked.status < 500 ? false : null;
  }

  /** The owner's own listing: one row in their own trail, even when empty. */
  async listRecords(): Promise<void> {
    const answer = await this.send('GET /records', [200], ROUTES.listRecords, { query: { limit: 50 } });
    this.audited('record.list', this.userId, answer);
  }

  async readAudit(): Promise<void> {
    await this.send('GET /audit', [200], ROUTES.listAudit, { query: { limit: 50 } });
  }

  // Doctors

  /**
   * A doctor's listing of one patient's shared records: a row in the patient's trail when it
   * lists some, a denial in the doctor's own when nothing of theirs is shared (still a 200).
   */
  async listPatientRecords(patientId: string): Promise<void> {
    const answer = await this.send('GET /records?ownerId (doctor)', [200], ROUTES.listRecords, { query: { ownerId: patientId, limit: 50 } });
    if (answer?.status !== 200 || answer.body.items.length > 0) this.audited('record.list', patientId, answer);
  }

  /** The first page of the consents received, and the next one when there is one (a doctor scrolling down). */
  async listConsents(): Promise<void> {
    const first = await this.send('GET /consents', [200], ROUTES.listConsents, { query: { limit: 20 } });
    const cursor = first?.status === 200 ? first.body.nextCursor : null;
    if (cursor) await this.send('GET /consents (next page)', [200], ROUTES.listConsents, { query: { limit: 20, cursor } });
  }
}

/** A request through `call`, timed and counted: null when it threw (no answer). */
export async function timed<T extends { status: number }>(api: Pick<SoakApi, 'stats'>, label: string, expected: readonly number[], call: () => Promise<T>): Promise<T | null> {
  const startedAt = performance.now();
  try {
    const answer = await call();
    api.stats.record(label, answer.status, startedAt, expected);
    return answer;
  } catch {
    api.stats.record(label, 'network', startedAt, expected);
    return null;
  }
}

/** A pre-signed URL's request, as the portal's fetch sends it; the body read whole. */
async function rawFetch(url: string, init: { method?: string; body?: Blob; headers?: Record<string, string> }): Promise<{ status: number; bytes: ArrayBuffer }> {
  const response = await fetch(url, init);
  return { status: response.status, bytes: await response.arrayBuffer() };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
