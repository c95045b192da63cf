import { Injectable } from '@nestjs/common';
import { EMERGENCY_DEFAULT_HOURS, ERROR_CODES, type ConfigureEmergencyRequest, type EmergencyHolderCandidates, type EmergencySetup } from '@phr/shared-types';
import { AttemptOwners } from '../audit/attempt-owners.js';
import { AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import type { AuthUser } from '../identity/auth-user.js';
import { checkRsaPublicKey, checkSealedBlob, fingerprintOf } from '../identity/key-material.js';
import { PublicKeysRepository } from '../users/public-keys.repository.js';
import { EmergencyBreaksRepository } from './emergency-breaks.repository.js';
import { EmergencySetupsRepository, type EmergencySetupRow } from './emergency-setups.repository.js';
import { assertWrapsMatch } from '../access/wraps-match.js';

/**
 * The patient's side of break-glass (docs/protocol.md "Break-glass"): the setup is replaced as
 * a whole, with a new emergency key each time (a re-key), so no share or wrap of an earlier key
 * stays; breaks of an earlier key end with it.
 */
@Injectable()
export class EmergencySetupService {
  constructor(
    private readonly audit: AuditService,
    private readonly owners: AttemptOwners,
    private readonly setups: EmergencySetupsRepository,
    private readonly breaks: EmergencyBreaksRepository,
    private readonly publicKeys: PublicKeysRepository,
  ) {}

  async get(user: AuthUser): Promise<EmergencySetup> {
    return this.present(user.userId, await this.setups.find(user.userId));
  }

  async candidates(user: AuthUser, email: string): Promise<EmergencyHolderCandidates> {
    const rows = await this.setups.candidate(email.trim());
    await this.audit.allow({ subjectId: user.userId, action: 'key.read', reason: `break-glass holder look-up: ${rows.length} account(s)` });
    return { items: rows.map((row) => ({ id: row.id, displayName: row.display_name, role: row.role, publicKey: row.public_key, fingerprint: row.fingerprint, organisation: row.organisation })) };
  }

  async configure(user: AuthUser, request: ConfigureEmergencyRequest): Promise<EmergencySetup> {
    const patientId = user.userId;
    if (request.scope === 'off') return this.turnOff(user, request);
    const holders = request.holders ?? [];
    this.assertComplete(request, holders.length);
    const folderId = request.scope === 'folder' ? (request.folderId as string) : null;
    if (folderId && (await this.owners.ownerOf('folder', folderId)) !== patientId) {
      throw ApiError.validation([{ field: 'folderId', message: 'folderId names no folder of yours' }]);
    }
    await this.assertHoldersCurrent(patientId, holders);
    assertWrapsMatch(await this.setups.recordIdsInScope(patientId, request.scope, folderId), (request.wraps ?? []).map((wrap) => wrap.recordId));
    const publicKey = request.publicKey as string;
    const row = await this.setups.replace(
      {
        patient_id: patientId,
        scope: request.scope,
        folder_id: folderId,
        public_key: publicKey,
        fingerprint: fingerprintOf(publicKey),
        sealed_private_key: request.sealedPrivateKey as string,
        key_check: request.keyCheck as string,
        threshold: request.threshold as number,
        hours: request.hours ?? EMERGENCY_DEFAULT_HOURS,
      },
      holders.map((holder) => ({ patient_id: patientId, holder_id: holder.holderId, fingerprint: holder.fingerprint, share: holder.share })),
      request.wraps ?? [],
    );
    await this.endEarlierBreaks(patientId, row.generation);
    await this.audit.allow({
      subjectId: patientId,
      action: 'emergency.configured',
      reason: `scope ${request.scope}${folderId ? ` ${folderId}` : ''}; ${row.threshold} of ${holders.length} holder(s); ${row.hours} h; key ${row.fingerprint}; generation ${row.generation}`,
    });
    return this.present(patientId, row);
  }

  private async turnOff(user: AuthUser, request: ConfigureEmergencyRequest): Promise<EmergencySetup> {
    const extra = (['folderId', 'publicKey', 'sealedPrivateKey', 'keyCheck', 'threshold', 'holders', 'wraps'] as const).filter((field) => request[field] !== undefined);
    if (extra.length) throw ApiError.validation(extra.map((field) => ({ field, message: `${field} is not allowed with scope "off"` })));
    const row = await this.setups.replace(
      { patient_id: user.userId, scope: 'off', folder_id: null, public_key: null, fingerprint: null, sealed_private_key: null, key_check: null, threshold: null, hours: request.hours ?? EMERGENCY_DEFAULT_HOURS },
      [],
      [],
    );
    await this.endEarlierBreaks(user.userId, row.generation);
    await this.audit.allow({ subjectId: user.userId, action: 'emergency.configured', reason: `scope off; generation ${row.generation}` });
    return this.present(user.userId, row);
  }

  /** A re-key or turning it off ends every break of an earlier key (their shares and wraps are gone). */
  private async endEarlierBreaks(patientId: string, generation: number): Promise<void> {
    for (const breakId of await this.breaks.endBefore(patientId, generation)) {
      await this.audit.allow({ subjectId: patientId, action: 'emergency.ended', reason: `break ${breakId}: the emergency key was replaced` });
    }
  }

  private assertComplete(request: ConfigureEmergencyRequest, holderCount: number): void {
    const problems = [];
    if (request.publicKey === undefined) problems.push({ field: 'publicKey', message: 'publicKey is required unless scope is "off"' });
    else {
      const problem = checkRsaPublicKey('publicKey', request.publicKey);
      if (problem) problems.push(problem);
    }
    if (request.sealedPrivateKey === undefined) problems.push({ field: 'sealedPrivateKey', message: 'sealedPrivateKey is required unless scope is "off"' });
    else {
      const problem = checkSealedBlob('sealedPrivateKey', request.sealedPrivateKey);
      if (problem) problems.push(problem);
    }
    if (request.keyCheck === undefined) problems.push({ field: 'keyCheck', message: 'keyCheck is required unless scope is "off"' });
    else {
      const problem = checkSealedBlob('keyCheck', request.keyCheck);
      if (problem) problems.push(problem);
    }
    if (holderCount === 0) problems.push({ field: 'holders', message: 'holders must name at least one holder unless scope is "off"' });
    if (request.threshold === undefined || request.threshold > holderCount) problems.push({ field: 'threshold', message: 'threshold must be between 1 and the number of holders' });
    if ((request.scope === 'folder') !== (request.folderId !== undefined)) problems.push({ field: 'folderId', message: 'folderId is required with scope "folder" and only then' });
    if (problems.length) throw ApiError.validation(problems);
  }

  /** Each holder once, not the patient, an account that may hold a share, with the share made for their current key. */
  private async assertHoldersCurrent(patientId: string, holders: NonNullable<ConfigureEmergencyRequest['holders']>): Promise<void> {
    if (new Set(holders.map((holder) => holder.holderId)).size !== holders.length) throw ApiError.validation([{ field: 'holders', message: 'a holder is named twice' }]);
    if (holders.some((holder) => holder.holderId === patientId)) throw ApiError.validation([{ field: 'holders', message: 'the patient cannot hold a share of their own emergency key' }]);
    const allowed = await this.setups.holdersAllowed(holders.map((holder) => holder.holderId));
    for (const holder of holders) {
      const key = await this.publicKeys.find(holder.holderId);
      if (!key) throw ApiError.validation([{ field: 'holders', message: `holder ${holder.holderId} names no account` }]);
      if (!allowed.has(holder.holderId)) {
        throw ApiError.validation([{ field: 'holders', message: `holder ${holder.holderId} may not hold a share: only another patient or an approved clinician may` }]);
      }
      if (key.fingerprint !== holder.fingerprint) {
        throw new ApiError(409, ERROR_CODES.keyChanged, `The share for ${holder.holderId} was made for another key than the holder’s current one: look the holder up again`);
      }
    }
  }

  /** A record moved into scope after the setup has no emergency wrap: the browser re-keys to cover it. */
  private async hasUnwrappedRecords(row: EmergencySetupRow): Promise<boolean> {
    const wrapped = new Set(await this.setups.wrappedRecordIds(row.patient_id));
    return (await this.setups.recordIdsInScope(row.patient_id, row.scope, row.folder_id)).some((recordId) => !wrapped.has(recordId));
  }

  private async present(patientId: string, row: EmergencySetupRow | null): Promise<EmergencySetup> {
    if (!row) return { scope: 'off', folderId: null, publicKey: null, fingerprint: null, threshold: null, hours: EMERGENCY_DEFAULT_HOURS, holders: [], generation: 0, needsRekey: false, updatedAt: null };
    const holders = await this.setups.holdersOf(patientId);
    const people = await this.breaks.people(holders.map((holder) => holder.holder_id));
    return {
      scope: row.scope,
      folderId: row.folder_id,
      publicKey: row.public_key,
      fingerprint: row.fingerprint,
      threshold: row.threshold,
      hours: row.hours,
      holders: holders.map((holder) => {
        const person = people.get(holder.holder_id);
        return { holderId: holder.holder_id, displayName: person?.display_name ?? '', role: (person?.role ?? 'patient') as 'patient', fingerprint: holder.fingerprint };
      }),
      generation: row.generation,
      needsRekey: row.scope !== 'off' && ((await this.breaks.isKeyUsed(patientId, row.generation)) || (await this.hasUnwrappedRecords(row))),
      updatedAt: row.updated_at.toISOString(),
    };
  }
}
