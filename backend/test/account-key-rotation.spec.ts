/**
 * Account-key rotation (docs/protocol.md "Account-key rotation", issue 12),
 * through HTTP with real cryptography: the test plays the browser with
 * node:crypto, sealing exactly as the protocol says (AES-256-GCM sealed blobs
 * with their AAD), so "the old key opens nothing afterwards" is checked by
 * trying to open every blob the server holds for the account.
 */
import { createCipheriv, createDecipheriv, createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AES_GCM_IV_BYTES,
  DOCTOR_WRAP_BYTES,
  ERROR_CODES,
  KEY_ROTATION_BATCH_MAX,
  PROTOCOL_VERSION,
  ROUTES,
  type Folder,
  type KeyRotationFinished,
  type KeyRotationState,
  type RecordSummary,
  type SessionResponse,
} from '@phr/shared-types';
import { auditRowsOf } from './support/audit.js';
import { fingerprintOf, insertAuditor, randomKey, registerUser, rsaPublicKey, sealedBlob, signedIn, type RegisteredUser } from './support/factories.js';
import { testClient, type TestClient, type RouteResult } from './support/http.js';
import { commit, presign, putSegments, segmentBodies } from './support/records.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { forgeToken, otherSecret, sessionTokenFor } from './support/tokens.js';

// --- the browser's side, in node:crypto ---------------------------------------------------------

function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(AES_GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([PROTOCOL_VERSION]), iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
}

/** The plaintext, or null when the blob does not open under this key and AAD. */
function open(key: Buffer, blob: string, aad: string): Buffer | null {
  const bytes = Buffer.from(blob, 'base64url');
  const iv = bytes.subarray(1, 1 + AES_GCM_IV_BYTES);
  const tag = bytes.subarray(bytes.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(bytes.subarray(1 + AES_GCM_IV_BYTES, bytes.length - 16)), decipher.final()]);
  } catch {
    return null;
  }
}

const ACCOUNT_KEY_AAD = (kdf: { algorithm: string; iterations: number; salt: string }) => `phr/v1/account-key|${kdf.algorithm}|${kdf.iterations}|${kdf.salt}`;
const PRIVATE_KEY_AAD = 'phr/v1/private-key';
const RECOVERY_AAD = 'phr/v1/recovery-account-key';
const ownerWrapAad = (recordId: string, ownerId: string) => `phr/v1/file-key|${recordId}|${ownerId}`;
const folderNameAad = (ownerId: string) => `phr/v1/folder-name|${ownerId}`;
const clientStateAad = (userId: string) => `phr/v1/client-state|${userId}`;

/** A patient whose blobs are real: the test knows the KEK, the account key and the private key. */
interface KeyedPatient extends RegisteredUser {
  kek: Buffer;
  accountKey: Buffer;
  pkcs8: Buffer;
  fileKeys: Map<string, Buffer>;
}

async function registerKeyedPatient(api: TestApp): Promise<KeyedPatient> {
  const kek = randomBytes(32);
  const accountKey = randomBytes(32);
  const pair = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const pkcs8 = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
  const publicKey = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64url');
  const kdf = { algorithm: 'PBKDF2-SHA256' as const, iterations: 600_000, salt: randomKey(16) };
  const user = await registerUser(api, 'patient', {
    kdf,
    keys: { wrappedAccountKey: seal(kek, accountKey, ACCOUNT_KEY_AAD(kdf)), publicKey, wrappedPrivateKey: seal(accountKey, pkcs8, PRIVATE_KEY_AAD) },
    recovery: { recoveryAuthKey: randomKey(), recoveryWrappedAccountKey: seal(randomBytes(32), accountKey, RECOVERY_AAD) },
  });
  return { ...user, kek, accountKey, pkcs8, fileKeys: new Map() };
}

async function uploadSealed(user: KeyedPatient, sealingKey: Buffer, options: { folderId?: string; keyGeneration?: number } = {}): Promise<RouteResult<RecordSummary>> {
  const upload = await presign(user, 50);
  await putSegments(upload, segmentBodies(50));
  const fileKey = randomBytes(32);
  user.fileKeys.set(upload.recordId, fileKey);
  return commit(user, {
    recordId: upload.recordId,
    folderId: options.folderId,
    metadata: seal(fileKey, Buffer.from(JSON.stringify({ v: 1, name: 'x.txt' })), `phr/v1/metadata|${upload.recordId}`),
    ownerWrap: seal(sealingKey, fileKey, ownerWrapAad(upload.recordId, user.userId)),
    keyGeneration: options.keyGeneration,
  });
}

function createFolder(user: RegisteredUser, sealingKey: Buffer, name: string, keyGeneration?: number): Promise<RouteResult<Folder>> {
  return user.client.send(ROUTES.createFolder, { token: user.token, body: { name: seal(sealingKey, Buffer.from(name), folderNameAad(user.userId)), keyGeneration } });
}

// --- the routes --------------------------------------------------------------------------------

type Answer<T> = Promise<RouteResult<T>>;
// The rotation's bodies are sent malformed too in this file, so these three go unchecked; their answers stay typed.
const rotationState = (user: RegisteredUser, token = user.token): Answer<KeyRotationState> => user.client.send(ROUTES.keyRotation, { token });
const startRotation = (user: RegisteredUser, body: unknown, token = user.token): Answer<KeyRotationState> =>
  user.client.unchecked().send(ROUTES.startKeyRotation, { token, body });
const sendBatch = (user: RegisteredUser, body: unknown, token = user.token): Answer<KeyRotationState> =>
  user.client.unchecked().send(ROUTES.keyRotationBatch, { token, body });
const finishRotation = (user: RegisteredUser, body: unknown, token = user.token): Answer<KeyRotationFinished> =>
  user.client.unchecked().send(ROUTES.finishKeyRotation, { token, body });

/** The browser's start: a new account key under the same KEK, the same private key under it. */
function startRequest(user: KeyedPatient, newKey: Buffer) {
  return {
    currentAuthKey: user.request.authKey,
    wrappedAccountKey: seal(user.kek, newKey, ACCOUNT_KEY_AAD(user.request.kdf)),
    wrappedPrivateKey: seal(newKey, user.pkcs8, PRIVATE_KEY_AAD),
    fingerprint: keyFingerprint(user.request.keys.publicKey),
  };
}

/** The fingerprint of a public key: SHA-256 of the SPKI, lower-case hex. */
function keyFingerprint(publicKey: string): string {
  return createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex');
}

/** The browser's batch: opens each listed row under the old key and seals it under the new one. */
function resealed(user: KeyedPatient, oldKey: Buffer, newKey: Buffer, next: NonNullable<KeyRotationState['rotation']>['next'], limit = KEY_ROTATION_BATCH_MAX) {
  const ownerWraps = next.ownerWraps.slice(0, limit).map((row) => {
    const fileKey = open(oldKey, row.wrap, ownerWrapAad(row.recordId, user.userId));
    if (!fileKey) throw new Error(`owner wrap of ${row.recordId} does not open under the old key`);
    return { recordId: row.recordId, wrap: seal(newKey, fileKey, ownerWrapAad(row.recordId, user.userId)) };
  });
  const folders = next.folders.slice(0, Math.max(0, limit - ownerWraps.length)).map((row) => {
    const name = open(oldKey, row.name, folderNameAad(user.userId));
    if (!name) throw new Error(`folder ${row.folderId} does not open under the old key`);
    return { folderId: row.folderId, name: seal(newKey, name, folderNameAad(user.userId)) };
  });
  return { ownerWraps, folders };
}

async function signIn(api: TestApp, user: RegisteredUser): Promise<{ client: TestClient; session: SessionResponse }> {
  const client = testClient(api.baseUrl);
  const response = await client.send(ROUTES.login, { body: { email: user.request.email, authKey: user.request.authKey } });
  expect(response.status).toBe(200);
  return { client, session: signedIn(response.body) };
}

async function rotationTrail(api: TestApp, userId: string): Promise<string[]> {
  return (await auditRowsOf(api, userId))
    .filter((row) => row.action.startsWith('account.key-rotation') || row.action === 'account.password-change' || row.action === 'account.recovery')
    .map((row) => `${row.action}:${row.outcome}:${row.reason ?? ''}`);
}

describe('account-key rotation: re-sealed in batches, resumable, and the old key opens nothing afterwards', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('rotates every owner wrap, folder name, the private key, the recovery wrap and the client state; an interrupted batch resumes', async () => {
    const alice = await registerKeyedPatient(api);
    const oldKey = alice.accountKey;
    const newKey = randomBytes(32);
    const lab = await createFolder(alice, oldKey, 'Lab results');
    await createFolder(alice, oldKey, 'Scans');
    for (const folderId of [lab.body.id, undefined, undefined]) expect((await uploadSealed(alice, oldKey, { folderId })).status).toBe(201);
    const state = await alice.client.send(ROUTES.putClientState, {
      token: alice.token,
      body: { expectedVersion: 0, sealed: seal(oldKey, Buffer.from('{"v":1}'), clientStateAad(alice.userId)) },
    });
    expect(state.status).toBe(200);
    // A second session, signed in before the rotation: it ends when the rotation finishes.
    const other = await signIn(api, alice);

    expect((await rotationState(alice)).body).toEqual({ keyGeneration: 1, rotation: null });
    expect((await startRotation(alice, { ...startRequest(alice, newKey), currentAuthKey: randomKey() })).status).toBe(403);
    const started = await startRotation(alice, startRequest(alice, newKey));
    expect(started.status).toBe(201);
    expect(started.body.rotation).toMatchObject({ generation: 2, batches: 0, ownerWraps: { done: 0, remaining: 3 }, folders: { done: 0, remaining: 2 } });
    expect(started.body.rotation?.next.ownerWraps).toHaveLength(3);
    expect((await startRotation(alice, startRequest(alice, randomBytes(32)))).status).toBe(409);

    // Sign-in during the rotation carries the new key's wraps: the browser opens both and resumes.
    const during = await signIn(api, alice);
    expect(during.session.keys.keyGeneration).toBe(1);
    const pending = during.session.keys.rotation;
    expect(pending?.generation).toBe(2);
    expect(open(alice.kek, pending?.wrappedAccountKey ?? '', ACCOUNT_KEY_AAD(alice.request.kdf))).toEqual(newKey);
    expect(open(newKey, pending?.wrappedPrivateKey ?? '', PRIVATE_KEY_AAD)).toEqual(alice.pkcs8);

    // The first batch: two owner wraps. Its answer is "lost" and the batch sent again after a reload: no change.
    const first = resealed(alice, oldKey, newKey, started.body.rotation!.next, 2);
    expect((await sendBatch(alice, { generation: 2, ...first })).body.rotation).toMatchObject({ ownerWraps: { done: 2, remaining: 1 } });
    const again = await sendBatch(alice, { generation: 2, ...first });
    expect(again.status).toBe(200);
    expect(again.body.rotation).toMatchObject({ batches: 2, ownerWraps: { done: 2, remaining: 1 }, folders: { done: 0, remaining: 2 } });

    // A batch naming a row that is gone is refused whole: its valid row is not written either.
    const afterReload = (await rotationState(alice)).body.rotation!;
    const partial = resealed(alice, oldKey, newKey, afterReload.next, 1);
    const refused = await sendBatch(alice, { generation: 2, ownerWraps: [...partial.ownerWraps, { recordId: '00000000-0000-4000-8000-000000000000', wrap: partial.ownerWraps[0].wrap }], folders: [] });
    expect(refused.status).toBe(404);
    expect((await rotationState(alice)).body.rotation).toMatchObject({ ownerWraps: { done: 2, remaining: 1 } });

    // Finishing now is refused, naming what is left.
    const early = await finishRotation(alice, { generation: 2, recovery: { recoveryAuthKey: randomKey(), recoveryWrappedAccountKey: seal(randomBytes(32), newKey, RECOVERY_AAD) } });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: ERROR_CODES.keyRotation, message: '1 owner wrap(s) and 2 folder name(s) are still under the old key: re-seal them first' });

    // New writes during the rotation must be under the new key: an old-generation one is refused, not left behind.
    const oldCommit = await uploadSealed(alice, oldKey);
    expect(oldCommit.status).toBe(409);
    expect(oldCommit.body).toMatchObject({ code: ERROR_CODES.keyRotation });
    expect((await uploadSealed(alice, newKey, { keyGeneration: 2 })).status).toBe(201);
    expect((await createFolder(alice, oldKey, 'Old')).status).toBe(409);
    expect((await createFolder(alice, newKey, 'Letters', 2)).status).toBe(201);
    const passwordChange = await alice.client.send(ROUTES.changePassword, {
      token: alice.token,
      body: { currentAuthKey: alice.request.authKey, newAuthKey: randomKey(), newKdf: alice.request.kdf, newWrappedAccountKey: seal(randomBytes(32), oldKey, 'x') },
    });
    expect(passwordChange.status).toBe(409);
    expect(passwordChange.body).toMatchObject({ code: ERROR_CODES.keyRotation });
    // The recovery code opens only the old key: a recovery waits for the finish too, and changes nothing.
    const recoveryReset = await testClient(api.baseUrl).send(ROUTES.recoveryReset, {
      body: {
        email: alice.request.email,
        recoveryAuthKey: alice.request.recovery.recoveryAuthKey,
        newAuthKey: randomKey(),
        newKdf: alice.request.kdf,
        newWrappedAccountKey: seal(randomBytes(32), oldKey, 'x'),
        newRecovery: { recoveryAuthKey: randomKey(), recoveryWrappedAccountKey: seal(randomBytes(32), oldKey, RECOVERY_AAD) },
      },
    });
    expect([recoveryReset.status, recoveryReset.error?.code]).toEqual([409, ERROR_CODES.keyRotation]);

    // The rest, then the finish: a new recovery code and the client state re-sealed on the version read.
    const rest = (await rotationState(alice)).body.rotation!;
    expect(rest).toMatchObject({ ownerWraps: { done: 3, remaining: 1 }, folders: { done: 1, remaining: 2 } });
    expect((await sendBatch(alice, { generation: 2, ...resealed(alice, oldKey, newKey, rest.next) })).body.rotation).toMatchObject({
      ownerWraps: { done: 4, remaining: 0 },
      folders: { done: 3, remaining: 0 },
      next: { ownerWraps: [], folders: [] },
    });
    const recoveryKek = randomBytes(32);
    const recovery = { recoveryAuthKey: randomKey(), recoveryWrappedAccountKey: seal(recoveryKek, newKey, RECOVERY_AAD) };
    const withoutState = await finishRotation(alice, { generation: 2, recovery });
    expect(withoutState.status).toBe(409);
    expect(withoutState.error?.message).toContain('client state (version 1) must be re-sealed');
    const stored = (await alice.client.send(ROUTES.clientState, { token: alice.token })).body;
    const document = open(oldKey, stored.sealed ?? '', clientStateAad(alice.userId));
    expect(document).not.toBeNull();
    const clientState = { expectedVersion: stored.version, sealed: seal(newKey, document!, clientStateAad(alice.userId)) };
    // As a browser sends it: the refresh cookie (path /api/auth) does not reach this route, only the access token.
    const finished = await testClient(api.baseUrl).send(ROUTES.finishKeyRotation, { token: alice.token, body: { generation: 2, recovery, clientState } });
    expect(finished.status).toBe(200);
    expect(finished.body).toEqual({ keyGeneration: 2 });
    expect((await rotationState(alice)).body).toEqual({ keyGeneration: 2, rotation: null });

    // Every blob the server holds for the account opens under the new key and none under the old.
    const [credential] = await api.adminQuery<{ wrapped_account_key: string; wrapped_private_key: string; recovery_wrapped_account_key: string }>(
      'SELECT wrapped_account_key, wrapped_private_key, recovery_wrapped_account_key FROM credentials WHERE user_id = $1',
      [alice.userId],
    );
    expect(open(alice.kek, credential.wrapped_account_key, ACCOUNT_KEY_AAD(alice.request.kdf))).toEqual(newKey);
    expect(open(recoveryKek, credential.recovery_wrapped_account_key, RECOVERY_AAD)).toEqual(newKey);
    expect(open(newKey, credential.wrapped_private_key, PRIVATE_KEY_AAD)).toEqual(alice.pkcs8);
    expect(open(oldKey, credential.wrapped_private_key, PRIVATE_KEY_AAD)).toBeNull();
    const records = (await alice.client.send(ROUTES.listRecords, { token: alice.token })).body.items;
    expect(records).toHaveLength(4);
    for (const record of records) {
      expect(open(newKey, record.wrap, ownerWrapAad(record.id, alice.userId))).toEqual(alice.fileKeys.get(record.id));
      expect(open(oldKey, record.wrap, ownerWrapAad(record.id, alice.userId))).toBeNull();
    }
    const folders = (await alice.client.send(ROUTES.listFolders, { token: alice.token })).body.items;
    expect(folders.map((folder) => open(newKey, folder.name, folderNameAad(alice.userId))?.toString()).sort()).toEqual(['Lab results', 'Letters', 'Scans']);
    expect(folders.every((folder) => open(oldKey, folder.name, folderNameAad(alice.userId)) === null)).toBe(true);
    const [clientRow] = await api.adminQuery<{ sealed: string }>('SELECT sealed FROM client_states WHERE user_id = $1', [alice.userId]);
    expect(open(newKey, clientRow.sealed, clientStateAad(alice.userId))?.toString()).toBe('{"v":1}');
    expect(open(oldKey, clientRow.sealed, clientStateAad(alice.userId))).toBeNull();

    // The old recovery code stops working; the new one proves itself and gets the wrap of the new key.
    const recoveryKeys = (recoveryAuthKey: string) => testClient(api.baseUrl).send(ROUTES.recoveryKeys, { body: { email: alice.request.email, recoveryAuthKey } });
    expect((await recoveryKeys(alice.request.recovery.recoveryAuthKey)).status).toBe(401);
    const newRecovery = await recoveryKeys(recovery.recoveryAuthKey);
    expect(open(recoveryKek, newRecovery.body.recoveryWrappedAccountKey, RECOVERY_AAD)).toEqual(newKey);

    // The other sessions ended, the one that finished goes on; a new sign-in gets the new generation and no rotation.
    expect((await other.client.send(ROUTES.refresh)).status).toBe(401);
    expect((await during.client.send(ROUTES.refresh)).status).toBe(401);
    expect((await alice.client.send(ROUTES.refresh)).status).toBe(200);
    const after = await signIn(api, alice);
    expect(after.session.keys.keyGeneration).toBe(2);
    expect(after.session.keys.rotation).toBeUndefined();
    expect(open(alice.kek, after.session.keys.wrappedAccountKey, ACCOUNT_KEY_AAD(alice.request.kdf))).toEqual(newKey);
    // Writes now go under generation 2 by default, and a stale generation is refused.
    expect((await createFolder(alice, newKey, 'After')).status).toBe(201);
    expect((await createFolder(alice, oldKey, 'Stale', 1)).status).toBe(409);

    expect(await rotationTrail(api, alice.userId)).toEqual([
      'account.key-rotation-start:deny:current password is wrong',
      'account.key-rotation-start:allow:generation 2: 3 owner wrap(s), 2 folder name(s) to re-seal',
      'account.key-rotation-start:deny:a rotation to generation 2 is already under way: resume it',
      'account.key-rotation-batch:allow:generation 2: 2 owner wrap(s), 0 folder name(s) sent, 2 re-sealed, 0 already under the new key; 2 of 5 done',
      'account.key-rotation-batch:allow:generation 2: 2 owner wrap(s), 0 folder name(s) sent, 0 re-sealed, 2 already under the new key; 2 of 5 done',
      'account.key-rotation-batch:deny:no such owner wrap or folder: record 00000000-0000-4000-8000-000000000000',
      'account.key-rotation-finish:deny:1 owner wrap(s) and 2 folder name(s) are still under the old key: re-seal them first',
      'account.password-change:deny:an account-key rotation is under way',
      'account.recovery:deny:an account-key rotation is under way',
      'account.key-rotation-batch:allow:generation 2: 1 owner wrap(s), 2 folder name(s) sent, 3 re-sealed, 0 already under the new key; 7 of 7 done',
      'account.key-rotation-finish:deny:the client state (version 1) must be re-sealed under the new key and sent as clientState',
      'account.key-rotation-finish:allow:generation 2 in force: 4 owner wrap(s), 3 folder name(s) in 3 batch(es); new recovery code; other sessions ended',
    ]);
  });

  it('re-seals the break-glass key check at the finish: listed with the rotation, required, stored under the new key', async () => {
    const carol = await registerKeyedPatient(api);
    const holder = await registerUser(api);
    const keyCheckAad = `phr/v1/emergency-key-check|${carol.userId}`;
    const emergencyFingerprint = keyFingerprint(rsaPublicKey());
    const keyCheck = seal(carol.accountKey, Buffer.from(emergencyFingerprint), keyCheckAad);
    const setup = await carol.client.send(ROUTES.configureEmergency, {
      token: carol.token,
      body: {
        scope: 'all',
        publicKey: rsaPublicKey(),
        sealedPrivateKey: sealedBlob(1800),
        keyCheck,
        threshold: 1,
        holders: [{ holderId: holder.userId, fingerprint: fingerprintOf(holder), share: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }],
        wraps: [],
      },
    });
    expect(setup.status).toBe(200);
    const newKey = randomBytes(32);
    const started = await startRotation(carol, startRequest(carol, newKey));
    expect(started.body.rotation?.emergencyKeyCheck).toBe(keyCheck);
    const recovery = { recoveryAuthKey: randomKey(), recoveryWrappedAccountKey: seal(randomBytes(32), newKey, RECOVERY_AAD) };

    const without = await finishRotation(carol, { generation: 2, recovery });
    expect(without.status).toBe(409);
    expect(without.error?.message).toBe('The break-glass key check must be re-sealed under the new key and sent as emergencyKeyCheck');
    for (const malformed of ['short', `${keyCheck}=`, 'a'.repeat(4096)]) {
      const refused = await finishRotation(carol, { generation: 2, recovery, emergencyKeyCheck: malformed });
      expect([refused.status, refused.error?.fields?.map((problem) => problem.field)]).toEqual([400, ['emergencyKeyCheck']]);
    }
    const [unchanged] = await api.adminQuery<{ key_check: string }>('SELECT key_check FROM emergency_setups WHERE patient_id = $1', [carol.userId]);
    expect(unchanged.key_check).toBe(keyCheck);
    const emergencyKeyCheck = seal(newKey, open(carol.accountKey, keyCheck, keyCheckAad) as Buffer, keyCheckAad);
    expect((await finishRotation(carol, { generation: 2, recovery, emergencyKeyCheck })).status).toBe(200);
    const [stored] = await api.adminQuery<{ key_check: string }>('SELECT key_check FROM emergency_setups WHERE patient_id = $1', [carol.userId]);
    expect(open(newKey, stored.key_check, keyCheckAad)?.toString()).toBe(emergencyFingerprint);
    expect(open(carol.accountKey, stored.key_check, keyCheckAad)).toBeNull();
  });

  it('keeps one account’s rotation to itself: another patient’s ids are a 404 and change nothing', async () => {
    const alice = await registerKeyedPatient(api);
    const bob = await registerKeyedPatient(api);
    const record = (await uploadSealed(alice, alice.accountKey)).body;
    const folder = (await createFolder(alice, alice.accountKey, 'Mine')).body;
    expect((await startRotation(bob, startRequest(bob, randomBytes(32)))).status).toBe(201);
    for (const body of [
      { generation: 2, ownerWraps: [{ recordId: record.id, wrap: seal(randomBytes(32), randomBytes(32), 'x') }], folders: [] },
      { generation: 2, ownerWraps: [], folders: [{ folderId: folder.id, name: seal(randomBytes(32), Buffer.from('theirs'), 'x') }] },
    ]) {
      const response = await sendBatch(bob, body);
      expect(response.status).toBe(404);
      expect(response.error?.code).toBe(ERROR_CODES.notFound);
    }
    const [wrapRow] = await api.adminQuery<{ wrap: string; key_generation: number }>('SELECT wrap, key_generation FROM record_wraps WHERE record_id = $1', [record.id]);
    expect(wrapRow).toEqual({ wrap: record.wrap, key_generation: 1 });
    const [folderRow] = await api.adminQuery<{ name: string; key_generation: number }>('SELECT name, key_generation FROM folders WHERE id = $1', [folder.id]);
    expect(folderRow).toEqual({ name: folder.name, key_generation: 1 });
    // Alice has no rotation under way: her batch and finish are 409s, and bob's rotation is not hers.
    expect((await rotationState(alice)).body).toEqual({ keyGeneration: 1, rotation: null });
    expect((await sendBatch(alice, { generation: 2, ownerWraps: [{ recordId: record.id, wrap: record.wrap }], folders: [] })).status).toBe(409);
    expect((await finishRotation(alice, { generation: 2, recovery: { recoveryAuthKey: randomKey(), recoveryWrappedAccountKey: record.wrap } })).status).toBe(409);
  });

  it('refuses no token, a forged token and an auditor; malformed input is a 400 naming the field, a large batch a 413', async () => {
    const carol = await registerKeyedPatient(api);
    const anonymous = testClient(api.baseUrl);
    for (const route of [
      ROUTES.keyRotation,
      ROUTES.startKeyRotation,
      ROUTES.keyRotationBatch,
      ROUTES.finishKeyRotation,
    ]) {
      const method = route.method;
      expect((await anonymous.unchecked().send(route, { body: method === 'GET' ? undefined : {} })).status).toBe(401);
      const forged = forgeToken(TEST_JWT_SECRET, { userId: carol.userId, secret: otherSecret() });
      expect((await anonymous.unchecked().send(route, { token: forged, body: method === 'GET' ? undefined : {} })).status).toBe(401);
      const auditorId = await insertAuditor(api.adminQuery);
      const auditorToken = await sessionTokenFor(api, auditorId, 'auditor');
      expect((await anonymous.unchecked().send(route, { token: auditorToken, body: method === 'GET' ? undefined : {} })).status).toBe(403);
    }

    const newKey = randomBytes(32);
    const badStart = await startRotation(carol, { ...startRequest(carol, newKey), wrappedPrivateKey: 'not base64url!' });
    expect(badStart.status).toBe(400);
    expect(badStart.error?.fields?.map((field) => field.field)).toEqual(['wrappedPrivateKey']);
    const wrongVersion = await startRotation(carol, { ...startRequest(carol, newKey), wrappedAccountKey: Buffer.concat([Buffer.from([9]), randomBytes(60)]).toString('base64url') });
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.error?.fields?.map((field) => field.field)).toEqual(['wrappedAccountKey']);
    for (const fingerprint of [undefined, 'ABC', 'a'.repeat(63)]) {
      const badFingerprint = await startRotation(carol, { ...startRequest(carol, newKey), fingerprint });
      expect(badFingerprint.status).toBe(400);
      expect(badFingerprint.error?.fields?.map((field) => field.field)).toEqual(['fingerprint']);
    }
    // A browser that still holds a key pair the account has replaced (another device rotated it) would re-seal the old private key.
    const before = (await auditRowsOf(api, carol.userId)).length;
    const stalePair = await startRotation(carol, { ...startRequest(carol, newKey), fingerprint: 'ab'.repeat(32) });
    expect(stalePair.status).toBe(409);
    expect(stalePair.error?.code).toBe('KEY_CHANGED');
    expect((await rotationState(carol)).body).toEqual({ keyGeneration: 1, rotation: null });
    expect((await auditRowsOf(api, carol.userId)).slice(before)).toEqual([
      expect.objectContaining({ action: 'account.key-rotation-start', outcome: 'deny', reason: expect.stringMatching(/not to the account's current key/) as unknown }),
    ]);

    expect((await startRotation(carol, startRequest(carol, newKey))).status).toBe(201);
    const record = (await uploadSealed(carol, newKey, { keyGeneration: 2 })).body;
    const wrap = seal(newKey, randomBytes(32), 'x');
    const cases: Array<[unknown, string]> = [
      [{ generation: 'two', ownerWraps: [], folders: [] }, 'generation'],
      [{ generation: 2, ownerWraps: [{ recordId: 'nope', wrap }], folders: [] }, 'ownerWraps.0.recordId'],
      [{ generation: 2, ownerWraps: [{ recordId: record.id, wrap: 'short' }], folders: [] }, 'ownerWraps.0.wrap'],
      [{ generation: 2, ownerWraps: [], folders: [{ folderId: record.id }] }, 'folders.0.name'],
      [{ generation: 2, ownerWraps: [], folders: [] }, 'ownerWraps'],
      [{ generation: 2, ownerWraps: [{ recordId: record.id, wrap }, { recordId: record.id.toUpperCase(), wrap }], folders: [] }, 'ownerWraps'],
    ];
    for (const [body, field] of cases) {
      const response = await sendBatch(carol, body);
      expect([response.status, response.error?.fields?.map((entry) => entry.field)]).toEqual([400, [field]]);
    }
    const oversized = await sendBatch(carol, { generation: 2, ownerWraps: Array.from({ length: KEY_ROTATION_BATCH_MAX + 1 }, () => ({ recordId: record.id, wrap })), folders: [] });
    expect(oversized.status).toBe(413);
    expect(oversized.error?.code).toBe(ERROR_CODES.payloadTooLarge);
    const wrongGeneration = await sendBatch(carol, { generation: 3, ownerWraps: [{ recordId: record.id, wrap }], folders: [] });
    expect([wrongGeneration.status, wrongGeneration.error?.code]).toEqual([409, ERROR_CODES.keyRotation]);
    const badFinish = await finishRotation(carol, { generation: 2, recovery: { recoveryAuthKey: 'x' } });
    expect(badFinish.status).toBe(400);
    expect(badFinish.error?.fields?.map((field) => field.field).sort()).toEqual(['recovery.recoveryAuthKey', 'recovery.recoveryWrappedAccountKey']);
  });
});
