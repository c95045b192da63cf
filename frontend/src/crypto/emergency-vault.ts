/**
 * The vault's break-glass methods (docs/protocol.md "Break-glass"): the patient's setup, the
 * holder's release and the clinician's reading, each done here in the worker with the keys it
 * holds. Shares, the emergency secret and file keys never reach the page; the emergency private
 * key a clinician opens stays here, non-extractable, for that break only.
 */
import type { ConfigureEmergencyRequest, EmergencyAccess, EmergencyShareRequest, RecordSummary } from '@phr/shared-types';
import { CryptoError } from './errors.js';
import { fromBase64Url } from './encoding.js';
import { createEmergencyKey, importEmergencyPublicKey, openEmergencyKey, releaseShare, sealKeyCheck, unwrapForEmergency, wrapForEmergency } from './emergency.js';
import { fingerprintHex } from './fingerprint.js';
import { openUnderAccountKeys } from './key-rotation.js';
import { decryptWithKey, type DecryptedRecord, type DecryptOptions, type OpenedMetadata, type RecordToOpen } from './record-vault.js';
import { openMetadata, openOwnerWrap } from './record-keys.js';
import { requireVerifiedKey, type TrustVaultState } from './trust-vault.js';

/** An emergency private key a clinician's browser opened for one break, with what its labels name. */
export interface OpenedEmergencyKey {
  key: CryptoKey;
  patientId: string;
  fingerprint: string;
}

export interface EmergencyVaultState extends TrustVaultState {
  keys: { accountKey: CryptoKey; privateKey: CryptoKey; publicKey: CryptoKey; retiringAccountKey?: CryptoKey } | null;
  /** By break id; cleared on lock. */
  emergencyKeys: Map<string, OpenedEmergencyKey>;
}

/** The key material of PUT /emergency/setup (scope, folder and hours are the page's). */
export type EmergencyKeyMaterial = Required<Pick<ConfigureEmergencyRequest, 'publicKey' | 'sealedPrivateKey' | 'keyCheck' | 'threshold' | 'holders' | 'wraps'>> & { fingerprint: string };

function keysOf(state: EmergencyVaultState): NonNullable<EmergencyVaultState['keys']> {
  if (!state.keys) throw new CryptoError('LOCKED', 'The keys are locked; sign in again');
  return state.keys;
}

async function ownFingerprint(state: EmergencyVaultState): Promise<string> {
  return fingerprintHex(new Uint8Array(await crypto.subtle.exportKey('spki', keysOf(state).publicKey)));
}

function openedKey(state: EmergencyVaultState, breakId: string): OpenedEmergencyKey {
  const opened = state.emergencyKeys.get(breakId);
  if (!opened) throw new CryptoError('EMERGENCY_KEY_CLOSED', 'The emergency key of this break is not open in this browser');
  return opened;
}

export const emergencyVaultMethods = {
  /**
   * The patient's setup: a new emergency key whose secret is split k-of-n among holders whose keys
   * were proven in the key directory this session, and every record in scope (its owner wrap opened
   * here) wrapped for the new key; the key's fingerprint sealed under the account key for uploads.
   */
  async createEmergencySetup(
    state: EmergencyVaultState,
    patientId: string,
    holders: Array<{ id: string; publicKey: string }>,
    threshold: number,
    records: Array<Pick<RecordSummary, 'id' | 'wrap'>>,
  ): Promise<EmergencyKeyMaterial> {
    const keys = keysOf(state);
    const holderKeys = [];
    for (const holder of holders) {
      await requireVerifiedKey(state, holder);
      holderKeys.push({ holderId: holder.id, publicKey: await importEmergencyPublicKey(holder.publicKey), fingerprint: await fingerprintHex(fromBase64Url(holder.publicKey)) });
    }
    const created = await createEmergencyKey(patientId, holderKeys, threshold);
    const wraps = [];
    for (const record of records) {
      const raw = await openUnderAccountKeys(keys, (key) => openOwnerWrap(key, record.wrap, record.id, patientId));
      try {
        wraps.push({ recordId: record.id, wrap: await wrapForEmergency(created.wrappingKey, raw, record.id, patientId, created.fingerprint) });
      } finally {
        raw.fill(0);
      }
    }
    return {
      publicKey: created.publicKey,
      fingerprint: created.fingerprint,
      sealedPrivateKey: created.sealedPrivateKey,
      keyCheck: await sealKeyCheck(keys.accountKey, patientId, created.fingerprint),
      threshold,
      holders: created.shares,
      wraps,
    };
  },

  /** The holder's release: its own share re-wrapped for the clinician's key, which must be proven in the key directory this session. */
  async releaseEmergencyShare(state: EmergencyVaultState, request: Pick<EmergencyShareRequest, 'breakGlass' | 'clinicianPublicKey' | 'share'>): Promise<{ fingerprint: string; share: string }> {
    const { breakGlass, clinicianPublicKey, share } = request;
    await requireVerifiedKey(state, { id: breakGlass.clinicianId, publicKey: clinicianPublicKey });
    const fingerprint = await fingerprintHex(fromBase64Url(clinicianPublicKey));
    const clinician = { id: breakGlass.clinicianId, publicKey: await importEmergencyPublicKey(clinicianPublicKey), fingerprint };
    try {
      return { fingerprint, share: await releaseShare(keysOf(state).privateKey, share, breakGlass.patientId, clinician, breakGlass.id) };
    } catch (error) {
      if (error instanceof CryptoError) throw error;
      throw new CryptoError('WRAP_INVALID', 'Your share of this emergency key cannot be opened with your keys');
    }
  },

  /**
   * The clinician's browser: the released shares combined, the emergency private key opened and
   * kept here for this break; answers the records' metadata opened with their emergency wraps.
   */
  async openEmergencyAccess(state: EmergencyVaultState, clinicianId: string, access: EmergencyAccess): Promise<OpenedMetadata[]> {
    const { breakGlass, publicKey, sealedPrivateKey } = access;
    if (!publicKey || !sealedPrivateKey) throw new CryptoError('EMERGENCY_KEY_CLOSED', 'The break is not open yet');
    const keys = keysOf(state);
    let key: CryptoKey;
    try {
      key = await openEmergencyKey(keys.privateKey, access.shares, {
        breakId: breakGlass.id,
        clinicianId,
        clinicianFingerprint: await ownFingerprint(state),
        patientId: breakGlass.patientId,
        publicKey,
        sealedPrivateKey,
      });
    } catch {
      throw new CryptoError('DECRYPT_FAILED', 'The released shares do not open the emergency key');
    }
    const fingerprint = await fingerprintHex(fromBase64Url(publicKey));
    state.emergencyKeys.set(breakGlass.id, { key, patientId: breakGlass.patientId, fingerprint });
    return Promise.all(
      access.records.map(async (record) => {
        try {
          const fileKey = await unwrapForEmergency(key, record.wrap, record.recordId, breakGlass.patientId, fingerprint);
          return { id: record.recordId, metadata: await openMetadata(fileKey, record.recordId, record.metadata) };
        } catch {
          return { id: record.recordId, error: 'This record cannot be opened with the emergency key' };
        }
      }),
    );
  },

  /** Downloads and decrypts one record of an open break, its file key unwrapped with the emergency key. */
  async decryptEmergencyRecord(state: EmergencyVaultState, breakId: string, record: RecordToOpen, options: DecryptOptions = {}): Promise<DecryptedRecord> {
    const opened = openedKey(state, breakId);
    let fileKey: CryptoKey;
    try {
      fileKey = await unwrapForEmergency(opened.key, record.wrap, record.id, opened.patientId, opened.fingerprint);
    } catch {
      throw new CryptoError('WRAP_INVALID', 'This record cannot be opened with the emergency key');
    }
    return decryptWithKey(fileKey, record, options);
  },

  /** Forgets a break's emergency key (its time box is over). */
  async closeEmergencyAccess(state: EmergencyVaultState, breakId: string): Promise<void> {
    state.emergencyKeys.delete(breakId);
  },
};
