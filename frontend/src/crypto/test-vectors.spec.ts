/**
 * The test vectors of docs/protocol.md (docs/test-vectors/*.json): every
 * output is recomputed from its inputs by the protocol code, checked again
 * with Node's own crypto from the document's description alone (byte layouts,
 * nonces, labels), and every sealed value is opened. Random IVs are pinned
 * from outside (vectors/fixed-random.ts); RSA-OAEP is randomised, so a doctor's
 * wrap is pinned by opening it.
 */
import { createCipheriv, createHash, createPrivateKey, hkdfSync, pbkdf2Sync, privateDecrypt, constants } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  AUDIT_GENESIS_HASH,
  canonicalAuditRow,
  firstBrokenAuditRow,
  HKDF_INFO_AUTH,
  HKDF_INFO_KEK,
  HKDF_INFO_RECOVERY_AUTH,
  HKDF_INFO_RECOVERY_KEK,
  PROTOCOL_VERSION,
  recordLayout,
  type AuditEvent,
} from '@phr/shared-types';
import { PRIVATE_KEY_AAD, unlockKeys } from './account.js';
import { concatBytes, fromBase64Url, toHex, utf8 } from './encoding.js';
import { fingerprintHex, formatFingerprint } from './fingerprint.js';
import { accountKeyAad, BROWSER_KDF_POLICY, checkKdfParams, deriveMasterKey, derivePasswordKeys, hkdfBytes, importHkdfKey } from './kdf.js';
import { solveProofOfWork } from './proof-of-work.js';
import { deriveRecoveryKeys, formatRecoveryCode, parseRecoveryCode, RECOVERY_WRAP_AAD } from './recovery-code.js';
import { encodeRecordMetadata } from './record-metadata.js';
import {
  doctorWrapLabel,
  importDoctorKey,
  importFileKey,
  openFolderName,
  openMetadata,
  sealFolderName,
  sealMetadata,
  unwrapForDoctor,
  unwrapForOwner,
  wrapForDoctor,
  wrapForOwner,
} from './record-keys.js';
import { encryptSegment, RecordDecryptor, streamHeader } from './record-stream.js';
import { open, seal } from './sealed.js';
import { withRandomBytes } from './vectors/fixed-random.js';
import {
  fromHex,
  patternBytes,
  VECTOR_FILES,
  type AuditChainVectors,
  type KdfVectors,
  type MetadataVectors,
  type ProofOfWorkVectors,
  type SealedVectors,
  type SealVector,
  type StreamVector,
  type StreamVectors,
  type WrapVectors,
} from './vectors/vector-files.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/test-vectors');
const load = async <T>(name: string): Promise<T> => JSON.parse(await readFile(path.join(DIR, name), 'utf8')) as T;

const aesKey = (hex: string) => crypto.subtle.importKey('raw', fromHex(hex), { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
const b64 = (text: string) => Buffer.from(text, 'base64url');
const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const importPrivateKey = (pkcs8: string) => crypto.subtle.importKey('pkcs8', fromBase64Url(pkcs8), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);

/** A sealed blob as docs/protocol.md "Encodings" describes it, made by Node's own AES-GCM. */
function sealedByNode(keyHex: string, ivHex: string, plaintext: Uint8Array, aad: string): string {
  const cipher = createCipheriv('aes-256-gcm', fromHex(keyHex), fromHex(ivHex)).setAAD(Buffer.from(aad, 'utf8'));
  return Buffer.concat([Buffer.from([0x01]), fromHex(ivHex), cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]).toString('base64url');
}

/** Seals with the vector's IV in place of a random one and expects its exact output. */
async function expectSeal(vector: SealVector, make: () => Promise<string>): Promise<void> {
  expect(await withRandomBytes([fromHex(vector.iv)], make)).toBe(vector.sealed);
}

describe('test vectors: keys from the password and the recovery code (kdf.json)', () => {
  let vectors: KdfVectors;
  beforeAll(async () => {
    vectors = await load<KdfVectors>(VECTOR_FILES.kdf);
  });

  it('derives each password’s master key, auth key and KEK', async () => {
    for (const vector of vectors.password) {
      expect(toHex(utf8(vector.password.normalize('NFKC')))).toBe(vector.passwordBytes);
      expect(toHex(fromBase64Url(vector.kdf.salt))).toBe(vector.salt);
      const { authKey } = await derivePasswordKeys(vector.password, vector.kdf);
      expect(authKey).toBe(vector.authKey);
      expect(toHex(fromBase64Url(authKey))).toBe(vector.authKeyHex);
      expect(toHex(await hkdfBytes(await deriveMasterKey(vector.password, vector.kdf), HKDF_INFO_KEK, 32))).toBe(vector.kek);
      // The document's recipe, with Node's PBKDF2 and HKDF (empty salt; info = the label's UTF-8).
      const master = pbkdf2Sync(fromHex(vector.passwordBytes), fromHex(vector.salt), vector.kdf.iterations, 32, 'sha256');
      expect(master.toString('hex')).toBe(vector.masterKey);
      expect(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), HKDF_INFO_AUTH, 32)).toString('hex')).toBe(vector.authKeyHex);
      expect(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), HKDF_INFO_KEK, 32)).toString('hex')).toBe(vector.kek);
    }
  });

  it('refuses the parameters outside the bounds before deriving anything, and accepts the bounds', async () => {
    for (const { kdf } of vectors.refused) {
      expect(() => checkKdfParams(kdf, BROWSER_KDF_POLICY)).toThrow(expect.objectContaining({ code: 'WEAK_KDF_PARAMETERS' }));
      await expect(derivePasswordKeys('any password', kdf)).rejects.toMatchObject({ code: 'WEAK_KDF_PARAMETERS' });
    }
    for (const { kdf } of vectors.accepted) expect(() => checkKdfParams(kdf, BROWSER_KDF_POLICY)).not.toThrow();
  });

  it('reads the recovery code as shown and as typed, and derives its auth key and KEK', async () => {
    for (const vector of vectors.recovery) {
      expect(toHex(parseRecoveryCode(vector.code))).toBe(vector.codeBytes);
      expect(toHex(parseRecoveryCode(vector.typed))).toBe(vector.codeBytes);
      expect(formatRecoveryCode(fromHex(vector.codeBytes))).toBe(vector.code);
      expect((await deriveRecoveryKeys(fromHex(vector.codeBytes))).recoveryAuthKey).toBe(vector.recoveryAuthKey);
      expect(toHex(await hkdfBytes(await importHkdfKey(fromHex(vector.codeBytes)), HKDF_INFO_RECOVERY_KEK, 32))).toBe(vector.recoveryKek);
      const code = fromHex(vector.codeBytes);
      expect(Buffer.from(hkdfSync('sha256', code, Buffer.alloc(0), HKDF_INFO_RECOVERY_AUTH, 32)).toString('base64url')).toBe(vector.recoveryAuthKey);
      expect(Buffer.from(hkdfSync('sha256', code, Buffer.alloc(0), HKDF_INFO_RECOVERY_KEK, 32)).toString('hex')).toBe(vector.recoveryKek);
    }
  });
});

describe('test vectors: sealed blobs (sealed-blob.json)', () => {
  let vectors: SealedVectors;
  beforeAll(async () => {
    vectors = await load<SealedVectors>(VECTOR_FILES.sealedBlob);
  });

  it('seals each plaintext to exactly the blob given, which is version ‖ IV ‖ ciphertext ‖ tag', async () => {
    for (const vector of vectors.cases) {
      const key = await aesKey(vector.key);
      expect(await withRandomBytes([fromHex(vector.iv)], () => seal(key, fromHex(vector.plaintext), vector.aad))).toBe(vector.blob);
      expect(toHex(fromBase64Url(vector.blob))).toBe(vector.blobHex);
      expect(vector.blobHex.slice(0, 2)).toBe(PROTOCOL_VERSION.toString(16).padStart(2, '0'));
      expect(vector.blobHex.slice(2, 26)).toBe(vector.iv);
      expect(fromHex(vector.blobHex)).toHaveLength(1 + 12 + vector.plaintext.length / 2 + 16);
      expect(sealedByNode(vector.key, vector.iv, fromHex(vector.plaintext), vector.aad)).toBe(vector.blob);
      expect(toHex(await open(key, vector.blob, vector.aad))).toBe(vector.plaintext);
    }
  });

  it('refuses each malformed or changed blob with its error code', async () => {
    for (const vector of vectors.refused) {
      await expect(open(await aesKey(vector.key), vector.blob, vector.aad)).rejects.toMatchObject({ code: vector.error });
    }
  });
});

describe('test vectors: wraps (wraps.json) and metadata (metadata.json)', () => {
  let wraps: WrapVectors;
  let metadata: MetadataVectors;
  beforeAll(async () => {
    wraps = await load<WrapVectors>(VECTOR_FILES.wraps);
    metadata = await load<MetadataVectors>(VECTOR_FILES.metadata);
  });

  it('makes every sealed wrap exactly as given, with the documented authenticated data', async () => {
    const { kek } = await derivePasswordKeys(wraps.password, wraps.kdf);
    const accountKey = await aesKey(wraps.accountKey);
    const { recoveryKek } = await deriveRecoveryKeys(parseRecoveryCode(wraps.recoveryCode));
    expect(wraps.accountKeyWrap.aad).toBe(`phr/v1/account-key|${wraps.kdf.algorithm}|${wraps.kdf.iterations}|${wraps.kdf.salt}`);
    expect(accountKeyAad(wraps.kdf)).toBe(wraps.accountKeyWrap.aad);
    await expectSeal(wraps.accountKeyWrap, () => seal(kek, fromHex(wraps.accountKey), accountKeyAad(wraps.kdf)));
    expect(wraps.privateKeyWrap.aad).toBe(PRIVATE_KEY_AAD);
    await expectSeal(wraps.privateKeyWrap, () => seal(accountKey, fromBase64Url(wraps.keyPair.privateKey), PRIVATE_KEY_AAD));
    expect(wraps.recoveryWrap.aad).toBe(RECOVERY_WRAP_AAD);
    await expectSeal(wraps.recoveryWrap, () => seal(recoveryKek, fromHex(wraps.accountKey), RECOVERY_WRAP_AAD));
    expect(wraps.ownerWrap.aad).toBe(`phr/v1/file-key|${wraps.recordId}|${wraps.ownerId}`);
    await expectSeal(wraps.ownerWrap, () => wrapForOwner(accountKey, fromHex(wraps.fileKey), wraps.recordId, wraps.ownerId));
    expect(wraps.folderName.aad).toBe(`phr/v1/folder-name|${wraps.ownerId}`);
    await expectSeal(wraps.folderName, () => sealFolderName(accountKey, wraps.ownerId, wraps.folderName.name));
    // The same bytes from Node's AES-GCM and the document's layout.
    const kekHex = (await load<KdfVectors>(VECTOR_FILES.kdf)).password[0].kek;
    expect(sealedByNode(kekHex, wraps.accountKeyWrap.iv, fromHex(wraps.accountKey), wraps.accountKeyWrap.aad)).toBe(wraps.accountKeyWrap.sealed);
    expect(sealedByNode(wraps.accountKey, wraps.ownerWrap.iv, fromHex(wraps.fileKey), wraps.ownerWrap.aad)).toBe(wraps.ownerWrap.sealed);
  });

  it('opens the chain from the password to the record’s metadata, and the account-key wrap only under its own KDF parameters', async () => {
    const { kek } = await derivePasswordKeys(wraps.password, wraps.kdf);
    const unlocked = await unlockKeys(kek, { kdf: wraps.kdf, wrappedAccountKey: wraps.accountKeyWrap.sealed, wrappedPrivateKey: wraps.privateKeyWrap.sealed, publicKey: wraps.keyPair.publicKey });
    const fileKey = await unwrapForOwner(unlocked.accountKey, wraps.ownerWrap.sealed, wraps.recordId, wraps.ownerId);
    expect(await openMetadata(fileKey, wraps.recordId, metadata.seal.sealed)).toEqual(metadata.metadata);
    expect(await openFolderName(unlocked.accountKey, wraps.ownerId, wraps.folderName.sealed)).toBe(wraps.folderName.name);
    const { recoveryKek } = await deriveRecoveryKeys(parseRecoveryCode(wraps.recoveryCode));
    expect(toHex(await open(recoveryKek, wraps.recoveryWrap.sealed, RECOVERY_WRAP_AAD))).toBe(wraps.accountKey);
    await expect(open(kek, wraps.accountKeyWrap.sealed, accountKeyAad({ ...wraps.kdf, iterations: wraps.kdf.iterations + 1 }))).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    await expect(unwrapForOwner(unlocked.accountKey, wraps.ownerWrap.sealed, wraps.recordId, wraps.doctorId)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('pins the key pairs’ fingerprints, and the private key belongs to the public key', async () => {
    for (const pair of [wraps.keyPair, wraps.doctor]) {
      const spki = fromBase64Url(pair.publicKey);
      expect(await fingerprintHex(spki)).toBe(pair.fingerprint);
      expect(sha256Hex(spki)).toBe(pair.fingerprint);
      expect(formatFingerprint(pair.fingerprint)).toBe(pair.fingerprintGroups);
      const probe = crypto.getRandomValues(new Uint8Array(32));
      const sealed = await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, await importDoctorKey(spki), probe);
      expect(new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, await importPrivateKey(pair.privateKey), sealed))).toEqual(probe);
    }
  });

  it('opens the doctor’s RSA-OAEP wrap under its label, and only for that record and doctor', async () => {
    const { doctor, recordId, doctorId } = wraps;
    expect(doctor.label).toBe(`phr/v1/doctor-wrap|${recordId}|${doctorId}|${doctor.fingerprint}`);
    expect(doctorWrapLabel(recordId, doctorId, doctor.fingerprint)).toBe(doctor.label);
    expect(fromBase64Url(doctor.wrap)).toHaveLength(384);
    const privateKey = await importPrivateKey(doctor.privateKey);
    const fileKey = await unwrapForDoctor(privateKey, doctor.wrap, recordId, doctorId, doctor.fingerprint);
    expect(await openMetadata(fileKey, recordId, metadata.seal.sealed)).toEqual(metadata.metadata);
    const byNode = privateDecrypt(
      { key: createPrivateKey({ key: b64(doctor.privateKey), format: 'der', type: 'pkcs8' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(doctor.label, 'utf8') },
      b64(doctor.wrap),
    );
    expect(byNode.toString('hex')).toBe(wraps.fileKey);
    await expect(unwrapForDoctor(privateKey, doctor.wrap, recordId, wraps.ownerId, doctor.fingerprint)).rejects.toThrow();
    // A new wrap differs (OAEP is randomised) and opens the same way.
    const again = await wrapForDoctor(await importDoctorKey(fromBase64Url(doctor.publicKey)), fromHex(wraps.fileKey), recordId, doctorId, doctor.fingerprint);
    expect(again).not.toBe(doctor.wrap);
    expect(await openMetadata(await unwrapForDoctor(privateKey, again, recordId, doctorId, doctor.fingerprint), recordId, metadata.seal.sealed)).toEqual(metadata.metadata);
  });

  it('writes the metadata document as given and seals it exactly; reads the legacy label as its code', async () => {
    const fileKey = await importFileKey(fromHex(metadata.fileKey));
    expect(new TextDecoder().decode(encodeRecordMetadata(metadata.metadata))).toBe(metadata.json);
    expect(metadata.seal.aad).toBe(`phr/v1/metadata|${metadata.recordId}`);
    await expectSeal(metadata.seal, () => sealMetadata(fileKey, metadata.recordId, metadata.metadata));
    expect(sealedByNode(metadata.fileKey, metadata.seal.iv, utf8(metadata.json), metadata.seal.aad)).toBe(metadata.seal.sealed);
    expect(await openMetadata(fileKey, metadata.recordId, metadata.seal.sealed)).toEqual(metadata.metadata);
    await expectSeal(metadata.legacy.seal, () => seal(fileKey, utf8(metadata.legacy.json), metadata.legacy.seal.aad));
    expect(await openMetadata(fileKey, metadata.recordId, metadata.legacy.seal.sealed)).toEqual(metadata.legacy.reads);
  });
});

describe('test vectors: the record stream (record-stream.json)', () => {
  let vectors: StreamVectors;
  let fileKey: CryptoKey;
  beforeAll(async () => {
    vectors = await load<StreamVectors>(VECTOR_FILES.recordStream);
    fileKey = await importFileKey(fromHex(vectors.fileKey));
  });

  const plaintextOf = (vector: StreamVector) => (vector.plaintext === undefined ? patternBytes(vector.plaintextBytes) : fromHex(vector.plaintext));

  async function segmentsOf(vector: StreamVector): Promise<Uint8Array<ArrayBuffer>[]> {
    const file = new Blob([plaintextOf(vector)]);
    const layout = recordLayout(vector.plaintextBytes, vector.chunkBytes, vector.chunksPerSegment);
    const out: Uint8Array<ArrayBuffer>[] = [];
    for (const segment of layout.segments) out.push(new Uint8Array(await (await encryptSegment(fileKey, vectors.recordId, file, layout, segment, vector.chunkBytes)).arrayBuffer()));
    return out;
  }

  async function decrypt(stream: Uint8Array, pieceBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    const decryptor = new RecordDecryptor(fileKey, vectors.recordId);
    const out: Uint8Array<ArrayBuffer>[] = [];
    for (let offset = 0; offset < stream.length; offset += pieceBytes) out.push(...(await decryptor.push(stream.subarray(offset, offset + pieceBytes))));
    out.push(await decryptor.finish());
    return concatBytes(...out);
  }

  it('lays out, encrypts and decrypts each case exactly as given', async () => {
    for (const vector of vectors.cases) {
      expect({ name: vector.name, layout: recordLayout(vector.plaintextBytes, vector.chunkBytes, vector.chunksPerSegment) }).toEqual({ name: vector.name, layout: vector.layout });
      expect(toHex(streamHeader(vector.chunkBytes))).toBe(vector.header);
      expect(vector.aad).toBe(toHex(concatBytes(utf8(`phr/v1/record|${vectors.recordId}|`), fromHex(vector.header))));
      const segments = await segmentsOf(vector);
      expect({ name: vector.name, sha256: segments.map(sha256Hex) }).toEqual({ name: vector.name, sha256: vector.segmentSha256 });
      if (vector.segments) expect(segments.map(toHex)).toEqual(vector.segments);
      const stream = concatBytes(...segments);
      expect(await decrypt(stream, vector.segments ? 7 : 65_536)).toEqual(plaintextOf(vector));
    }
  });

  it('is the STREAM construction as documented: header, then each chunk sealed with nonce 0^7 ‖ index (u32 BE) ‖ last flag', () => {
    for (const vector of vectors.cases.filter((item) => item.chunks)) {
      const header = fromHex(vector.header);
      expect(new TextDecoder().decode(header.subarray(0, 4))).toBe('PHRS');
      expect(Array.from(header.subarray(4, 8))).toEqual([PROTOCOL_VERSION, 0, 0, 0]);
      expect(new DataView(header.buffer).getUint32(8)).toBe(vector.chunkBytes);
      expect(Array.from(header.subarray(12, 16))).toEqual([0, 0, 0, 0]);
      const plaintext = plaintextOf(vector);
      const chunks = vector.chunks ?? [];
      expect(chunks).toHaveLength(vector.layout.chunkCount);
      for (const chunk of chunks) {
        const nonce = Buffer.alloc(12);
        nonce.writeUInt32BE(chunk.index, 7);
        nonce[11] = chunk.isLast ? 1 : 0;
        expect(chunk.nonce).toBe(nonce.toString('hex'));
        expect(chunk.isLast).toBe(chunk.index === chunks.length - 1);
        const cipher = createCipheriv('aes-256-gcm', fromHex(vectors.fileKey), nonce).setAAD(fromHex(vector.aad));
        const part = plaintext.subarray(chunk.index * vector.chunkBytes, (chunk.index + 1) * vector.chunkBytes);
        expect(Buffer.concat([cipher.update(part), cipher.final(), cipher.getAuthTag()]).toString('hex')).toBe(chunk.sealed);
      }
      expect(concatBytes(header, ...chunks.map((chunk) => fromHex(chunk.sealed)))).toEqual(fromHex((vector.segments ?? []).join('')));
    }
  });

  it('refuses the stream cut at a chunk boundary, a chunk moved, or a header of another version', async () => {
    const vector = vectors.cases.find((item) => (item.chunks?.length ?? 0) >= 3) as StreamVector;
    const chunks = (vector.chunks ?? []).map((chunk) => fromHex(chunk.sealed));
    const header = fromHex(vector.header);
    await expect(decrypt(concatBytes(header, ...chunks.slice(0, -1)), 1000)).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
    await expect(decrypt(concatBytes(header, chunks[1], chunks[0], ...chunks.slice(2)), 1000)).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
    const version2 = header.slice();
    version2[4] = 2;
    await expect(decrypt(concatBytes(version2, ...chunks), 1000)).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' });
  });

  it('gives the layouts of the portal’s chunk and segment sizes', () => {
    for (const { plaintextBytes, ...layout } of vectors.layouts) expect({ plaintextBytes, ...recordLayout(plaintextBytes) }).toEqual({ plaintextBytes, ...layout });
  });
});

describe('test vectors: proof of work (proof-of-work.json)', () => {
  it('finds the first nonce, whose digest starts with the demanded zero bits', async () => {
    const vectors = await load<ProofOfWorkVectors>(VECTOR_FILES.proofOfWork);
    for (const vector of vectors.cases) {
      expect(await solveProofOfWork(vector.challenge, vector.difficulty)).toBe(vector.nonce);
      const digest = createHash('sha256').update(`${vector.challenge}:${vector.nonce}`, 'ascii').digest();
      expect(digest.toString('hex')).toBe(vector.digest);
      expect(BigInt(`0x${vector.digest}`) >> BigInt(256 - vector.difficulty)).toBe(0n);
    }
  });
});

/** A JSON string as docs/protocol.md "Audit trail" spells out the canonical text's, without JSON.stringify. */
function jsonStringAsDocumented(text: string): string {
  const named: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };
  let written = '"';
  // By code point: a pair of surrogates is one character, written as it is; one alone is escaped.
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    const isLoneSurrogate = code >= 0xd800 && code <= 0xdfff;
    written += named[code] ?? (code < 0x20 || isLoneSurrogate ? `\\u${code.toString(16).padStart(4, '0')}` : character);
  }
  return `${written}"`;
}

/** The canonical text of a row from the description alone: the version, then the fields in order, no whitespace. */
function canonicalAsDocumented(row: Omit<AuditEvent, 'hash' | 'prevHash'>): string {
  const strings = [row.occurredAt, row.actorId, row.actorRole, row.action, row.outcome, row.reason, row.recordId, row.consentId, row.ip, row.userAgent, row.requestId];
  return `[1,${jsonStringAsDocumented(row.subjectId)},${row.seq},${strings.map((value) => (value === null ? 'null' : jsonStringAsDocumented(value))).join(',')}]`;
}

describe('test vectors: the audit chain (audit-chain.json)', () => {
  let vectors: AuditChainVectors;
  beforeAll(async () => {
    vectors = await load<AuditChainVectors>(VECTOR_FILES.auditChain);
  });
  const sha256OfText = (text: string) => Promise.resolve(sha256Hex(Buffer.from(text, 'utf8')));

  it('gives each row its canonical text and hash, by the shared code and by the description alone', () => {
    let prevHash = AUDIT_GENESIS_HASH;
    for (const { canonical, hash, prevHash: statedPrev, ...row } of vectors.rows) {
      expect(statedPrev).toBe(prevHash);
      expect(canonicalAuditRow(row)).toBe(canonical);
      expect(canonicalAsDocumented(row)).toBe(canonical);
      expect(sha256Hex(Buffer.from(`${prevHash}\n${canonical}`, 'utf8'))).toBe(hash);
      prevHash = hash;
    }
  });

  it('writes non-ASCII as it is and escapes only quotes, backslashes, controls and lone surrogates', () => {
    expect(canonicalAsDocumented({ ...vectors.rows[0], reason: 'a\u2028b 🩺 \ud800 /' })).toBe(canonicalAuditRow({ ...vectors.rows[0], reason: 'a\u2028b 🩺 \ud800 /' }));
    expect(vectors.rows[1].canonical).toContain('“Zoë” said \\"no\\" \\\\ then\\tleft\\nfor Αθήνα 🩺 \\u0001');
  });

  it('verifies as a chain, and a change of one character in a row breaks it there', async () => {
    const rows = vectors.rows.map(({ canonical: _canonical, ...row }) => row);
    expect(await firstBrokenAuditRow(rows, sha256OfText)).toBeNull();
    expect(await firstBrokenAuditRow([rows[0], { ...rows[1], reason: rows[1].reason?.replace('Zoë', 'Zoe') ?? null }, rows[2]], sha256OfText)).toBe(2);
    expect(await firstBrokenAuditRow([rows[0], rows[1], { ...rows[2], reason: null }], sha256OfText)).toBe(3);
  });
});
