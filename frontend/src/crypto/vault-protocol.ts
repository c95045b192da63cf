/**
 * The vault: the state of the crypto worker and the methods the page may call
 * on it. Unwrapped keys stay in this state (inside the worker); answers carry
 * only public values, wrapped blobs and auth keys. Kept free of Worker APIs so
 * the tests drive exactly this dispatcher.
 */
import {
  KDF_MIN_ITERATIONS,
  type ChangePasswordRequest,
  type KdfParams,
  type MyKeys,
  type RecordSummary,
  type RecoveryMaterial,
  type SealedFolderLabel,
  type SignedTreeHead,
  type StartKeyRotationRequest,
} from '@phr/shared-types';
import {
  createAccount,
  newKeyPair,
  ownFingerprint,
  recoverAccount,
  recoveryAuthKeyFromCode,
  rewrapForNewPassword,
  unlockKeys,
  type NewAccount,
  type NewKeyPair,
  type RecoveryReset,
  type UnlockedKeys,
} from './account.js';
import { sealClientState, type ClientStateDocument } from './client-state.js';
import { CryptoError } from './errors.js';
import { fingerprintHex } from './fingerprint.js';
import { newRotationKey, openRotationKey, resealRows, type ResealedBatch, type RotationKey, type RowsToReseal } from './key-rotation.js';
import { accountKeyAad, BROWSER_KDF_POLICY, derivePasswordKeys, type KdfPolicy } from './kdf.js';
import { open } from './sealed.js';
import { solveProofOfWork, type ProofOfWorkProgress } from './proof-of-work.js';
import { recordVaultMethods, type DoctorKey, type DoctorWraps, type EmergencyKeyForUpload, type PendingRecord, type SealedRecord } from './record-vault.js';
import type { RecordMetadata } from './record-keys.js';
import { emergencyVaultMethods, type OpenedEmergencyKey } from './emergency-vault.js';
import { resealKeyCheck } from './emergency.js';
import { requireVerifiedKey, trustVaultMethods, type VerifiedBinding } from './trust-vault.js';
import type { LogKey } from './key-directory.js';

interface WrappedAccount {
  kdf: KdfParams;
  wrappedAccountKey: string;
  wrappedPrivateKey: string;
}

export interface VaultState {
  /** During an account-key rotation `accountKey` is the NEW key (every new seal is under it) and `retiringAccountKey` the old one. */
  keys: (UnlockedKeys & { retiringAccountKey?: CryptoKey }) | null;
  /** The generation of the key new owner wraps and folder names are sealed under (docs/protocol.md "Account-key rotation"). */
  keyGeneration: number;
  /** An account-key rotation under way: the new key, its wraps and the recovery code made for it. */
  rotation: (RotationKey & { generation: number }) | null;
  /** A rotation the server has not accepted yet. */
  pendingRotation: RotationKey | null;
  /** What the current password opens; needed to change it. */
  account: WrappedAccount | null;
  /** Between deriving the auth key and receiving the key blobs at sign-in. */
  pendingKek: CryptoKey | null;
  /** A password change the server has not confirmed yet. */
  pendingAccount: WrappedAccount | null;
  /** Files being encrypted for upload, by record id, with their file keys. */
  pendingRecords: Map<string, PendingRecord>;
  /** The segment being sealed for upload (segments are sealed one at a time). */
  sealing: Promise<unknown>;
  policy: KdfPolicy;
  iterations: number;
  /** The key directory's log key (SPKI, base64url) this build trusts, and its import. */
  logPublicKey: string;
  logKey: LogKey | null;
  /** The newest key-directory tree head accepted in this session. */
  verifiedHead: SignedTreeHead | null;
  /** Other accounts' keys proven in the key directory this session: the only ones file keys are wrapped for. */
  verifiedKeys: Map<string, VerifiedBinding>;
  /** A key-pair rotation the server has not confirmed yet. */
  pendingKeyPair: NewKeyPair | null;
  /** Emergency private keys a clinician opened, by break (docs/protocol.md "Break-glass"). */
  emergencyKeys: Map<string, OpenedEmergencyKey>;
}

export function newVaultState(options: { policy?: KdfPolicy; iterations?: number; logPublicKey?: string } = {}): VaultState {
  return {
    keys: null,
    keyGeneration: 1,
    rotation: null,
    pendingRotation: null,
    account: null,
    pendingKek: null,
    pendingAccount: null,
    pendingRecords: new Map(),
    sealing: Promise.resolve(),
    policy: options.policy ?? BROWSER_KDF_POLICY,
    iterations: options.iterations ?? KDF_MIN_ITERATIONS,
    logPublicKey: options.logPublicKey ?? '',
    logKey: null,
    verifiedHead: null,
    verifiedKeys: new Map(),
    pendingKeyPair: null,
    emergencyKeys: new Map(),
  };
}

/** What the page sends to POST /me/key-pair (RotateKeyPairRequest), and the new key's fingerprint computed here. */
export interface KeyPairRotation {
  currentAuthKey: string;
  publicKey: string;
  wrappedPrivateKey: string;
  fingerprint: string;
}

/** A new account as the page sees it: everything but the unwrapped keys. */
export type CreatedAccount = Omit<NewAccount, 'unlocked'>;

export type RecoveredForReset = RecoveryReset & { newRecoveryCode: string };

/** Every method the page may call. The first parameter is the worker's state. */
export const vaultMethods = {
  async createAccount(state: VaultState, password: string): Promise<CreatedAccount> {
    const { unlocked, ...created } = await createAccount(password, { iterations: state.iterations, policy: state.policy });
    state.keys = unlocked;
    state.account = { kdf: created.kdf, wrappedAccountKey: created.keys.wrappedAccountKey, wrappedPrivateKey: created.keys.wrappedPrivateKey };
    state.keyGeneration = 1;
    return created;
  },

  /** Sign-in, step 1: the auth key to send; the KEK waits here for the key blobs. */
  async deriveLogin(state: VaultState, password: string, kdf: KdfParams): Promise<string> {
    const { authKey, kek } = await derivePasswordKeys(password, kdf, state.policy);
    state.pendingKek = kek;
    return authKey;
  },

  /** Sign-in, step 2: open the blobs the API returned. */
  async unlock(state: VaultState, keys: MyKeys): Promise<void> {
    if (!state.pendingKek) throw new CryptoError('NO_PENDING_LOGIN', 'Derive the sign-in keys first');
    const kek = state.pendingKek;
    state.pendingKek = null;
    const unlocked = await unlockKeys(kek, keys);
    state.account = { kdf: keys.kdf, wrappedAccountKey: keys.wrappedAccountKey, wrappedPrivateKey: keys.wrappedPrivateKey };
    state.keyGeneration = keys.keyGeneration;
    state.rotation = null;
    if (keys.rotation) {
      // A rotation under way: the new key opens with the same KEK; new seals go under it, the old key still opens the rest.
      const rotation = await openRotationKey(kek, keys.kdf, unlocked.accountKey, keys.wrappedPrivateKey, keys.rotation);
      state.rotation = { ...rotation, generation: keys.rotation.generation };
      state.keyGeneration = keys.rotation.generation;
      state.keys = { ...unlocked, accountKey: rotation.accountKey, retiringAccountKey: unlocked.accountKey };
      return;
    }
    state.keys = unlocked;
  },

  /** The generation new owner wraps and folder names are sealed under now: send it with a commit or a folder name. */
  async keyGeneration(state: VaultState): Promise<number> {
    requireAccount(state);
    return state.keyGeneration;
  },

  /** Whether a rotation is under way in this session (the page then resumes it). */
  async isRotatingKey(state: VaultState): Promise<boolean> {
    return state.rotation !== null;
  },

  /**
   * Starts an account-key rotation: the current password's KEK (the password
   * is asked again, as for a password change) seals a new account key, the
   * private key is re-sealed under it, and a new recovery code is made. Kept
   * pending until the server accepted it (beginKeyRotation).
   */
  async startKeyRotation(state: VaultState, password: string): Promise<StartKeyRotationRequest> {
    const account = requireAccount(state);
    if (state.rotation) throw new CryptoError('NO_KEY_ROTATION', 'A rotation is already under way: resume it');
    const { authKey, kek } = await derivePasswordKeys(password, account.kdf, state.policy);
    // The password must open the wrap in force: a wrong one would seal the new key under a KEK nothing can derive.
    await open(kek, account.wrappedAccountKey, accountKeyAad(account.kdf)).then(
      (raw) => raw.fill(0),
      () => {
        throw new CryptoError('WRONG_PASSWORD', 'The current password is not correct');
      },
    );
    const rotation = await newRotationKey(kek, account.kdf, (state.keys as UnlockedKeys).accountKey, account.wrappedPrivateKey);
    state.pendingRotation = rotation;
    const keys = state.keys as UnlockedKeys;
    const fingerprint = await fingerprintHex(new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey)));
    return { currentAuthKey: authKey, wrappedAccountKey: rotation.wrappedAccountKey, wrappedPrivateKey: rotation.wrappedPrivateKey, fingerprint };
  },

  /** The server accepted the start: from now on new seals are under the new key, and the old key opens what is left. */
  async beginKeyRotation(state: VaultState, generation: number): Promise<void> {
    const keys = state.keys;
    const rotation = state.pendingRotation;
    if (!keys || !rotation) throw new CryptoError('NO_KEY_ROTATION', 'No rotation was started in this session');
    state.pendingRotation = null;
    state.rotation = { ...rotation, generation };
    state.keyGeneration = generation;
    state.keys = { ...keys, accountKey: rotation.accountKey, retiringAccountKey: keys.accountKey };
  },

  /** One batch: the listed rows opened with the old key and sealed with the new; rows that open with neither are reported. */
  async resealForRotation(state: VaultState, ownerId: string, rows: RowsToReseal): Promise<ResealedBatch> {
    const keys = rotatingKeys(state);
    return resealRows({ oldKey: keys.retiringAccountKey, newKey: keys.accountKey }, ownerId, rows);
  },

  /** The client state for the finish: opened with either key (openClientState), sealed with the new one. */
  async resealClientState(state: VaultState, userId: string, document: ClientStateDocument): Promise<string> {
    return sealClientState(rotatingKeys(state).accountKey, userId, document);
  },

  /** The break-glass key check for the finish (KeyRotationUnderWay.emergencyKeyCheck): opened with the old key, sealed with the new. */
  async resealEmergencyKeyCheck(state: VaultState, patientId: string, sealed: string): Promise<string> {
    const keys = rotatingKeys(state);
    return resealKeyCheck({ oldKey: keys.retiringAccountKey, newKey: keys.accountKey }, patientId, sealed);
  },

  /** The recovery material of the new key for the finish, and the new code to show once the server has finished. */
  async keyRotationRecovery(state: VaultState): Promise<{ recovery: RecoveryMaterial; recoveryCode: string; generation: number }> {
    rotatingKeys(state);
    const rotation = state.rotation as NonNullable<VaultState['rotation']>;
    return { recovery: rotation.recovery, recoveryCode: rotation.recoveryCode, generation: rotation.generation };
  },

  /** The server finished: the old key is dropped, the new wrap is the one the password opens. */
  async confirmKeyRotation(state: VaultState): Promise<void> {
    const keys = rotatingKeys(state);
    const rotation = state.rotation as NonNullable<VaultState['rotation']>;
    state.keys = { accountKey: keys.accountKey, privateKey: keys.privateKey, publicKey: keys.publicKey };
    if (state.account) state.account = { ...state.account, wrappedAccountKey: rotation.wrappedAccountKey, wrappedPrivateKey: rotation.wrappedPrivateKey };
    state.rotation = null;
  },

  async changePassword(state: VaultState, currentPassword: string, newPassword: string): Promise<ChangePasswordRequest> {
    const account = requireAccount(state);
    const request = await rewrapForNewPassword({ password: currentPassword, ...account }, newPassword, {
      iterations: Math.max(account.kdf.iterations, state.iterations),
      policy: state.policy,
    });
    state.pendingAccount = { ...account, kdf: request.newKdf, wrappedAccountKey: request.newWrappedAccountKey };
    return request;
  },

  /**
   * Re-authentication for a grave step (erasure): the auth key of the current
   * password, under the account's own KDF parameters, for the server to check.
   */
  async currentAuthKey(state: VaultState, password: string): Promise<string> {
    const account = requireAccount(state);
    return (await derivePasswordKeys(password, account.kdf, state.policy)).authKey;
  },

  /**
   * Key-pair rotation, step 1 (docs/protocol.md "Key-pair rotation"): the
   * current password's auth key (the server asks for it), and a new key pair
   * whose private half is sealed under the account key. The session keeps
   * using the old pair until the server confirmed the new one.
   */
  async prepareKeyPairRotation(state: VaultState, password: string): Promise<KeyPairRotation> {
    const account = requireAccount(state);
    const { authKey } = await derivePasswordKeys(password, account.kdf, state.policy);
    const pair = await newKeyPair((state.keys as UnlockedKeys).accountKey);
    state.pendingKeyPair = pair;
    return { currentAuthKey: authKey, publicKey: pair.publicKey, wrappedPrivateKey: pair.wrappedPrivateKey, fingerprint: pair.fingerprint };
  },

  /** Step 2: the server stored `publicKey` (the key it answered); from now on the session decrypts and proves itself with the new pair. */
  async confirmKeyPairRotation(state: VaultState, publicKey: string): Promise<void> {
    requireAccount(state);
    const pending = state.pendingKeyPair;
    state.pendingKeyPair = null;
    if (!pending || pending.publicKey !== publicKey) throw new CryptoError('KEY_ROTATION_MISMATCH', 'The server confirmed another key than the one this browser made');
    state.keys = { ...(state.keys as UnlockedKeys), ...pending.keys };
  },

  /** The server accepted the change: the new wrap is now the one the password opens. */
  async confirmPasswordChange(state: VaultState): Promise<void> {
    if (state.pendingAccount) state.account = state.pendingAccount;
    state.pendingAccount = null;
  },

  async recoveryAuthKey(_state: VaultState, code: string): Promise<string> {
    return recoveryAuthKeyFromCode(code);
  },

  /** Recovery: the reset request, and the new password's KEK kept for the unlock that follows. */
  async recover(state: VaultState, code: string, recoveryWrappedAccountKey: string, newPassword: string): Promise<RecoveredForReset> {
    const recovered = await recoverAccount(code, recoveryWrappedAccountKey, newPassword, { iterations: state.iterations, policy: state.policy });
    state.pendingKek = recovered.kek;
    return { ...recovered.reset, newRecoveryCode: recovered.newRecoveryCode };
  },

  /**
   * The proof of work a sign-in or recovery owes after repeated failures on the
   * account (docs/protocol.md "Proof of work"): the nonce for the challenge.
   * Seconds of hashing, off the page's thread; progress events let the page
   * say how long it has been working.
   */
  async solveProofOfWork(_state: VaultState, challenge: string, difficulty: number, onProgress?: (progress: ProofOfWorkProgress) => void): Promise<string> {
    return solveProofOfWork(challenge, difficulty, onProgress);
  },

  async lock(state: VaultState): Promise<void> {
    state.keys = null;
    state.rotation = null;
    state.pendingRotation = null;
    state.keyGeneration = 1;
    state.account = null;
    state.pendingKek = null;
    state.pendingAccount = null;
    state.pendingKeyPair = null;
    for (const record of state.pendingRecords.values()) {
      record.rawKey.fill(0);
      for (const request of record.requests) request.abort();
    }
    state.pendingRecords.clear();
    state.verifiedHead = null;
    state.verifiedKeys.clear();
    state.emergencyKeys.clear();
  },

  /** The fingerprint of the account's own key, computed from the key proven against the private key at sign-in. */
  async ownFingerprint(state: VaultState): Promise<string> {
    requireAccount(state);
    return ownFingerprint(state.keys as UnlockedKeys);
  },

  async isUnlocked(state: VaultState): Promise<boolean> {
    return state.keys !== null;
  },

  ...recordVaultMethods,
  ...trustVaultMethods,
  ...emergencyVaultMethods,

  /** Wraps file keys for a doctor: only for the key proven in the key directory this session (DESIGN 4.5). */
  async wrapForDoctor(state: VaultState, ownerId: string, records: Array<Pick<RecordSummary, 'id' | 'wrap'>>, doctor: DoctorKey): Promise<DoctorWraps> {
    await requireVerifiedKey(state, doctor);
    return recordVaultMethods.wrapForDoctor(state, ownerId, records, doctor);
  },

  /** Seals a folder's name for a doctor: only for the key proven in the key directory this session (DESIGN 4.5). */
  async sealFolderLabel(state: VaultState, folderId: string, name: string, doctor: DoctorKey): Promise<SealedFolderLabel> {
    await requireVerifiedKey(state, doctor);
    return recordVaultMethods.sealFolderLabel(state, folderId, name, doctor);
  },

  /** Finishes an upload; the doctors whose consent covers it get a wrap only for keys proven in the key directory. */
  async finishRecord(
    state: VaultState,
    recordId: string,
    ownerId: string,
    metadata: RecordMetadata,
    doctors: DoctorKey[] = [],
    emergency: EmergencyKeyForUpload | null = null,
  ): Promise<SealedRecord & { keyGeneration: number }> {
    for (const doctor of doctors) await requireVerifiedKey(state, doctor);
    const keyGeneration = state.keyGeneration;
    return { ...(await recordVaultMethods.finishRecord(state, recordId, ownerId, metadata, doctors, emergency)), keyGeneration };
  },
};

function rotatingKeys(state: VaultState): UnlockedKeys & { retiringAccountKey: CryptoKey } {
  requireAccount(state);
  const keys = state.keys as NonNullable<VaultState['keys']>;
  if (!state.rotation || !keys.retiringAccountKey) throw new CryptoError('NO_KEY_ROTATION', 'No account-key rotation is under way');
  return { ...keys, retiringAccountKey: keys.retiringAccountKey };
}

function requireAccount(state: VaultState): WrappedAccount {
  if (!state.keys || !state.account) throw new CryptoError('LOCKED', 'The keys are locked; sign in again');
  return state.account;
}

export type VaultMethodName = keyof typeof vaultMethods;

type DropState<F> = F extends (state: VaultState, ...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : never;

/** The page's view of the vault: the same methods, without the state. */
export type Vault = { [K in VaultMethodName]: DropState<(typeof vaultMethods)[K]> };

export interface VaultRequest {
  id: number;
  method: string;
  params: unknown[];
  /** The caller listens for progress events of this request (its last parameter was a listener). */
  events?: boolean;
}

export type VaultResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string } };

/** A progress event of a request still running. */
export interface VaultEvent {
  id: number;
  event: unknown;
}

/**
 * Methods that do not wait their turn: they hold no lock-sensitive state
 * beyond what they captured at the start, and they wait on the network (or,
 * the proof of work, yield to the event loop between slices of hashing, so a
 * lock() is not held up by it).
 */
export const CONCURRENT_METHODS: ReadonlySet<string> = new Set<VaultMethodName>(['uploadSegment', 'cancelRecord', 'decryptRecord', 'decryptEmergencyRecord', 'solveProofOfWork']);

/** Runs one request against the state. Errors come back as a code and a message only. */
export async function handleVaultRequest(state: VaultState, request: VaultRequest, emit?: (event: VaultEvent) => void): Promise<VaultResponse> {
  const method = Object.hasOwn(vaultMethods, request.method) ? vaultMethods[request.method as VaultMethodName] : undefined;
  if (!method) return { id: request.id, ok: false, error: { code: 'UNKNOWN_METHOD', message: `No vault method ${request.method}` } };
  try {
    const params = request.events && emit ? [...request.params, (event: unknown) => emit({ id: request.id, event })] : request.params;
    const result = await (method as (state: VaultState, ...args: unknown[]) => Promise<unknown>)(state, ...params);
    return { id: request.id, ok: true, result };
  } catch (error) {
    if (error instanceof CryptoError) return { id: request.id, ok: false, error: { code: error.code, message: error.message } };
    return { id: request.id, ok: false, error: { code: 'CRYPTO_FAILED', message: 'The operation failed in the crypto worker' } };
  }
}
