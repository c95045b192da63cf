/**
 * The portal's side of account-key rotation (docs/protocol.md "Account-key
 * rotation"): the vault re-seals, this loop asks the server what is left,
 * sends batches and finishes. It resumes from the server's state, so a reload
 * or a new sign-in halfway simply runs it again.
 */
import { KEY_ROTATION_BATCH_MAX, type KeyRotationState } from '@phr/shared-types';
import { ApiError } from '../../api/api-error.js';
import type { KeyRotationApi } from '../../api/key-rotation.js';
import type { TrustApi } from '../../api/trust.js';
import type { VaultHandle } from '../../crypto/vault.js';
import { TrustFailure } from '../trust/trust-failure.js';

/** Finishes tried while this page's own checks keep writing the client state. */
const FINISH_ATTEMPTS = 5;

export interface RotationProgress {
  done: number;
  total: number;
}

export interface RotationDeps {
  keyRotation: KeyRotationApi;
  trust: TrustApi;
  vault: VaultHandle;
  userId: string;
  onProgress(progress: RotationProgress): void;
}

export function progressOf(state: KeyRotationState): RotationProgress | null {
  const rotation = state.rotation;
  if (!rotation) return null;
  const done = rotation.ownerWraps.done + rotation.folders.done;
  return { done, total: done + rotation.ownerWraps.remaining + rotation.folders.remaining };
}

/** Starts a rotation: the password is asked again, the vault makes the new key, the server keeps it beside the old one. */
export async function startRotation(deps: RotationDeps, password: string): Promise<string> {
  const request = await deps.vault.startKeyRotation(password);
  const state = await deps.keyRotation.start(request);
  if (!state.rotation) throw new Error('The server did not start the rotation');
  await deps.vault.beginKeyRotation(state.rotation.generation);
  return resumeRotation(deps);
}

/**
 * Re-seals what the server still lists under the old key, batch by batch,
 * then finishes: the client state re-sealed and a new recovery code. Answers
 * the new recovery code, to be shown once. A row that opens under neither key
 * stops the rotation with a TrustFailure (nothing is skipped in silence).
 */
export async function resumeRotation(deps: RotationDeps): Promise<string> {
  let storedKeyCheck: string | null;
  for (;;) {
    const state = await deps.keyRotation.state();
    const rotation = state.rotation;
    if (!rotation) throw new Error('No key rotation is under way');
    storedKeyCheck = rotation.emergencyKeyCheck;
    deps.onProgress(progressOf(state) as RotationProgress);
    const ownerWraps = rotation.next.ownerWraps.slice(0, KEY_ROTATION_BATCH_MAX);
    const folders = rotation.next.folders.slice(0, KEY_ROTATION_BATCH_MAX - ownerWraps.length);
    if (ownerWraps.length + folders.length === 0) break;
    const batch = await deps.vault.resealForRotation(deps.userId, { ownerWraps, folders });
    if (batch.unreadable.length) {
      const rows = batch.unreadable.map((row) => (row.kind === 'ownerWrap' ? `record ${row.recordId}` : `folder ${row.folderId}`)).join(', ');
      throw new TrustFailure('key-rotation-unreadable', `During the key rotation, ${rows} opened under neither your old nor your new account key. The rotation stopped.`);
    }
    await deps.keyRotation.batch({ generation: rotation.generation, ownerWraps: batch.ownerWraps, folders: batch.folders });
  }
  const emergencyKeyCheck = storedKeyCheck === null ? undefined : await resealedKeyCheck(deps, storedKeyCheck);
  const { recovery, recoveryCode, generation } = await deps.vault.keyRotationRecovery();
  // The client state is written by this page's own checks too (compare-and-set): when one wrote between the read and the finish, read again.
  for (let attempt = 1; ; attempt += 1) {
    const stored = await deps.trust.clientState();
    const clientState =
      stored.sealed === null
        ? undefined
        : { expectedVersion: stored.version, sealed: await deps.vault.resealClientState(deps.userId, await deps.vault.openClientState(deps.userId, stored.sealed)) };
    try {
      await deps.keyRotation.finish({ generation, recovery, clientState, emergencyKeyCheck });
      break;
    } catch (error) {
      const isStateMoved = error instanceof ApiError && error.status === 409 && /client state/.test(error.message);
      if (!isStateMoved || attempt >= FINISH_ATTEMPTS) throw error;
    }
  }
  await deps.vault.confirmKeyRotation();
  return recoveryCode;
}

/** The break-glass key check re-sealed under the new key: uploads check the emergency key with it (docs/protocol.md "Break-glass"). */
async function resealedKeyCheck(deps: RotationDeps, sealed: string): Promise<string> {
  try {
    return await deps.vault.resealEmergencyKeyCheck(deps.userId, sealed);
  } catch {
    throw new TrustFailure('key-rotation-unreadable', 'During the key rotation, your break-glass key check opened under neither your old nor your new account key. The rotation stopped.');
  }
}
