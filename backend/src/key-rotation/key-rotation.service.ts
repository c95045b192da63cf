import { Injectable } from '@nestjs/common';
import {
  CLIENT_STATE_MAX_BYTES,
  ERROR_CODES,
  KEY_ROTATION_BATCH_MAX,
  type AuditAction,
  type FieldError,
  type FinishKeyRotationRequest,
  type KeyRotationBatchRequest,
  type KeyRotationFinished,
  type KeyRotationState,
  type StartKeyRotationRequest,
} from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { Reauthentication } from '../auth/credentials/reauthentication.service.js';
import type { AuthUser } from '../identity/auth-user.js';
import { checkSealedBlob } from '../identity/key-material.js';
import { PasswordHasher } from '../auth/credentials/password-hasher.js';
import { SessionService } from '../auth/sessions/session.service.js';
import { ClientStateRepository } from '../client-state/client-state.repository.js';
import { ApiError } from '../common/api-error.js';
import { PublicKeysRepository } from '../users/public-keys.repository.js';
import { KeyRotationRepository, type KeyGenerationRow } from '../key-generations/key-rotation.repository.js';

type Rotation = NonNullable<KeyGenerationRow['rotation']>;

/**
 * Account-key rotation (docs/protocol.md "Account-key rotation"). The browser
 * makes the new key and re-seals; the server keeps the new key's wraps beside
 * the old ones, marks each re-sealed row with the new generation, and swaps
 * the keys only when no row is left under the old one. Every step runs with
 * the account's credentials row locked, so steps of one account never overlap,
 * and every step, allowed or refused, is in the account's own trail.
 */
@Injectable()
export class KeyRotationService {
  constructor(
    private readonly rotations: KeyRotationRepository,
    private readonly publicKeys: PublicKeysRepository,
    private readonly auth: Reauthentication,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly clientStates: ClientStateRepository,
    private readonly audit: AuditService,
  ) {}

  async state(user: AuthUser): Promise<KeyRotationState> {
    return this.stateOf(user, await this.lock(user, 'share'));
  }

  async start(user: AuthUser, request: StartKeyRotationRequest): Promise<KeyRotationState> {
    const action = 'account.key-rotation-start';
    assertSealed([checkSealedBlob('wrappedAccountKey', request.wrappedAccountKey), checkSealedBlob('wrappedPrivateKey', request.wrappedPrivateKey)]);
    const row = await this.lock(user, 'update');
    await this.auth.proveCurrentPassword(user, request.currentAuthKey, action);
    if (row.rotation) this.refuse(user, action, `a rotation to generation ${row.rotation.generation} is already under way: resume it`);
    // A key-pair rotation takes this lock too (shared), so the key read here is the one in force when the rotation starts.
    const current = (await this.publicKeys.find(user.userId))?.fingerprint ?? null;
    if (current !== request.fingerprint) {
      const reason = `the private key sent belongs to key ${request.fingerprint}, not to the account's current key ${current ?? '(none)'}: sign in again to use the current key pair`;
      this.audit.deny({ subjectId: user.userId, action, reason });
      throw new ApiError(409, ERROR_CODES.keyChanged, reason.charAt(0).toUpperCase() + reason.slice(1));
    }
    const generation = row.keyGeneration + 1;
    await this.rotations.start(user.userId, { generation, wrappedAccountKey: request.wrappedAccountKey, wrappedPrivateKey: request.wrappedPrivateKey });
    const counts = await this.rotations.counts(user.userId, generation);
    await this.audit.allow({
      subjectId: user.userId,
      action,
      reason: `generation ${generation}: ${counts.ownerWraps.remaining} owner wrap(s), ${counts.folders.remaining} folder name(s) to re-seal`,
    });
    return this.stateOf(user, await this.lock(user, 'update'));
  }

  /**
   * Replaces rows still under the old key with the browser's re-sealed ones.
   * A row already under the new key (a batch sent again after a reload that
   * lost its answer) is left as it is; a row that is not the caller's, or no
   * longer exists, refuses the whole batch (404), so the browser reads the
   * state again.
   */
  async batch(user: AuthUser, request: KeyRotationBatchRequest): Promise<KeyRotationState> {
    const action = 'account.key-rotation-batch';
    const size = request.ownerWraps.length + request.folders.length;
    if (size > KEY_ROTATION_BATCH_MAX) {
      throw new ApiError(413, ERROR_CODES.payloadTooLarge, `A batch holds at most ${KEY_ROTATION_BATCH_MAX} rows (owner wraps and folder names together); this one holds ${size}`);
    }
    if (size === 0) throw ApiError.validation([{ field: 'ownerWraps', message: 'A batch holds at least one owner wrap or folder name' }]);
    assertSealed([
      ...request.ownerWraps.map((row, index) => checkSealedBlob(`ownerWraps[${index}].wrap`, row.wrap)),
      ...request.folders.map((row, index) => checkSealedBlob(`folders[${index}].name`, row.name)),
      duplicateOf('ownerWraps', request.ownerWraps.map((row) => row.recordId)),
      duplicateOf('folders', request.folders.map((row) => row.folderId)),
    ]);
    const rotation = this.rotationOf(user, action, await this.lock(user, 'update'), request.generation);
    const wraps = await this.rotations.ownerWrapGenerations(user.userId, request.ownerWraps.map((row) => row.recordId));
    const folders = await this.rotations.folderGenerations(user.userId, request.folders.map((row) => row.folderId));
    const unknown = [...request.ownerWraps.filter((row) => !wraps.has(row.recordId)).map((row) => `record ${row.recordId}`), ...request.folders.filter((row) => !folders.has(row.folderId)).map((row) => `folder ${row.folderId}`)];
    if (unknown.length) {
      this.audit.deny({ subjectId: user.userId, action, reason: `no such owner wrap or folder: ${unknown.join(', ')}` });
      throw ApiError.notFound(`No such record or folder of yours: ${unknown.join(', ')}; read the rotation state again`);
    }
    let resealed = 0;
    for (const row of request.ownerWraps) if (await this.rotations.resealOwnerWrap(user.userId, row, rotation.generation)) resealed += 1;
    for (const row of request.folders) if (await this.rotations.resealFolderName(user.userId, row, rotation.generation)) resealed += 1;
    await this.rotations.countBatch(user.userId);
    const counts = await this.rotations.counts(user.userId, rotation.generation);
    const done = counts.ownerWraps.done + counts.folders.done;
    const total = done + counts.ownerWraps.remaining + counts.folders.remaining;
    await this.audit.allow({
      subjectId: user.userId,
      action,
      reason: `generation ${rotation.generation}: ${request.ownerWraps.length} owner wrap(s), ${request.folders.length} folder name(s) sent, ${resealed} re-sealed, ${size - resealed} already under the new key; ${done} of ${total} done`,
    });
    return this.stateOf(user, await this.lock(user, 'update'));
  }

  /**
   * Swaps the keys in one transaction: the new account key's wrap and the
   * private key under it, a new recovery code and the client state re-sealed,
   * the rotation row gone. Refused while any row is under the old key. The
   * other sessions end (they hold the old key); the caller's, named by its
   * access token, goes on.
   */
  async finish(user: AuthUser, request: FinishKeyRotationRequest): Promise<KeyRotationFinished> {
    const action = 'account.key-rotation-finish';
    assertSealed([
      checkSealedBlob('recovery.recoveryWrappedAccountKey', request.recovery.recoveryWrappedAccountKey),
      // Checked as the setup checks keyCheck: one the portal could never open would stop every break-glass upload.
      request.emergencyKeyCheck === undefined ? null : checkSealedBlob('emergencyKeyCheck', request.emergencyKeyCheck),
    ]);
    if (request.clientState && Math.floor((request.clientState.sealed.length * 3) / 4) > CLIENT_STATE_MAX_BYTES) {
      throw new ApiError(413, ERROR_CODES.payloadTooLarge, `The sealed client state may hold at most ${CLIENT_STATE_MAX_BYTES} bytes`);
    }
    const rotation = this.rotationOf(user, action, await this.lock(user, 'update'), request.generation);
    const counts = await this.rotations.counts(user.userId, rotation.generation);
    if (counts.ownerWraps.remaining > 0 || counts.folders.remaining > 0) {
      this.refuse(user, action, `${counts.ownerWraps.remaining} owner wrap(s) and ${counts.folders.remaining} folder name(s) are still under the old key: re-seal them first`);
    }
    await this.replaceClientState(user, request, action);
    await this.replaceEmergencyKeyCheck(user, request, action);
    await this.rotations.finish(user.userId, {
      generation: rotation.generation,
      wrappedAccountKey: rotation.wrappedAccountKey,
      wrappedPrivateKey: rotation.wrappedPrivateKey,
      recoveryAuthHash: await this.hasher.hash(request.recovery.recoveryAuthKey),
      recoveryWrappedAccountKey: request.recovery.recoveryWrappedAccountKey,
    });
    await this.sessions.endOtherSessions(user.userId, user.sessionId);
    await this.audit.allow({
      subjectId: user.userId,
      action,
      reason: `generation ${rotation.generation} in force: ${counts.ownerWraps.done} owner wrap(s), ${counts.folders.done} folder name(s) in ${rotation.batches} batch(es); new recovery code; other sessions ended`,
    });
    return { keyGeneration: rotation.generation };
  }

  /** A stored client state is sealed under the old key: it must come back re-sealed, on the version stored (compare-and-set). */
  private async replaceClientState(user: AuthUser, request: FinishKeyRotationRequest, action: AuditAction): Promise<void> {
    const stored = await this.clientStates.find(user.userId);
    const sent = request.clientState;
    if (!sent) {
      if (stored) this.refuse(user, action, `the client state (version ${stored.version}) must be re-sealed under the new key and sent as clientState`);
      return;
    }
    const version = sent.expectedVersion === 0 ? await this.clientStates.insertFirst(user.userId, sent.sealed) : await this.clientStates.replace(user.userId, sent.expectedVersion, sent.sealed);
    if (version === null) this.refuse(user, action, `the client state is no longer at version ${sent.expectedVersion}: read it again and re-seal it`);
  }

  /**
   * The break-glass key check is sealed under the old key too: without the new key's copy the
   * patient's uploads could not check the emergency key any more, and break-glass uploads would
   * fail. One sent when none is stored (break-glass turned off meanwhile) replaces nothing.
   */
  private async replaceEmergencyKeyCheck(user: AuthUser, request: FinishKeyRotationRequest, action: AuditAction): Promise<void> {
    const stored = await this.rotations.emergencyKeyCheck(user.userId);
    if (stored === null) return;
    if (!request.emergencyKeyCheck) this.refuse(user, action, 'the break-glass key check must be re-sealed under the new key and sent as emergencyKeyCheck');
    await this.rotations.replaceEmergencyKeyCheck(user.userId, request.emergencyKeyCheck);
  }

  private async lock(user: AuthUser, mode: 'share' | 'update'): Promise<KeyGenerationRow> {
    const row = await this.rotations.lock(user.userId, mode);
    // A token outlives an erased account by up to its 15 minutes.
    if (!row) throw ApiError.unauthenticated('This account no longer exists');
    return row;
  }

  /** The rotation under way, of the generation the request names; otherwise an audited 409. */
  private rotationOf(user: AuthUser, action: AuditAction, row: KeyGenerationRow, generation: number): Rotation {
    if (!row.rotation) this.refuse(user, action, 'no account-key rotation is under way');
    if (row.rotation.generation !== generation) this.refuse(user, action, `the rotation under way is to generation ${row.rotation.generation}, not ${generation}`);
    return row.rotation;
  }

  private refuse(user: AuthUser, action: AuditAction, reason: string): never {
    this.audit.deny({ subjectId: user.userId, action, reason });
    throw new ApiError(409, ERROR_CODES.keyRotation, reason.charAt(0).toUpperCase() + reason.slice(1));
  }

  private async stateOf(user: AuthUser, row: KeyGenerationRow): Promise<KeyRotationState> {
    if (!row.rotation) return { keyGeneration: row.keyGeneration, rotation: null };
    const { generation, batches, startedAt } = row.rotation;
    const counts = await this.rotations.counts(user.userId, generation);
    const next = await this.rotations.nextRows(user.userId, generation);
    const emergencyKeyCheck = await this.rotations.emergencyKeyCheck(user.userId);
    return { keyGeneration: row.keyGeneration, rotation: { generation, startedAt: startedAt.toISOString(), batches, ...counts, next, emergencyKeyCheck } };
  }
}

function assertSealed(checks: Array<FieldError | null>): void {
  const problems = checks.filter((problem): problem is FieldError => problem !== null);
  if (problems.length) throw ApiError.validation(problems);
}

function duplicateOf(field: string, ids: string[]): FieldError | null {
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  return duplicate ? { field, message: `${field} names ${duplicate} twice` } : null;
}
