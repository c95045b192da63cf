/**
 * Writes docs/test-vectors/*.json with the protocol code itself (run once,
 * under Node's WebCrypto; `test-vectors.spec.ts` then holds the code to them):
 *
 *   npx tsc -b shared-types && node --import tsx frontend/src/crypto/vectors/generate.ts
 *
 * Inputs are fixed (bytes from SHA-256 of a label), so a second run writes the
 * same files except the two RSA key pairs and the doctor's wrap (RSA-OAEP is
 * randomised), which are made anew. File names after the command write only
 * those files (`… generate.ts audit-chain.json`), leaving the others as they are.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AUDIT_GENESIS_HASH,
  canonicalAuditRow,
  HKDF_INFO_KEK,
  HKDF_INFO_RECOVERY_KEK,
  KDF_ALGORITHM,
  KDF_MAX_ITERATIONS,
  KDF_MIN_ITERATIONS,
  RECORD_CHUNK_BYTES,
  RECORD_CHUNKS_PER_SEGMENT,
  recordLayout,
  type AuditEvent,
  type KdfParams,
  type RecordMetadata,
} from '@phr/shared-types';
import { PRIVATE_KEY_AAD } from '../account.js';
import { toBase64Url, toHex, utf8 } from '../encoding.js';
import { fingerprintHex, formatFingerprint } from '../fingerprint.js';
import { accountKeyAad, deriveMasterKey, derivePasswordKeys, hkdfBytes, importHkdfKey } from '../kdf.js';
import { solveProofOfWork } from '../proof-of-work.js';
import { deriveRecoveryKeys, formatRecoveryCode, parseRecoveryCode, RECOVERY_WRAP_AAD } from '../recovery-code.js';
import { doctorWrapLabel, importDoctorKey, importFileKey, sealFolderName, sealMetadata, wrapForDoctor, wrapForOwner } from '../record-keys.js';
import { encryptSegment, streamHeader } from '../record-stream.js';
import { seal } from '../sealed.js';
import { withRandomBytes } from './fixed-random.js';
import { patternBytes, VECTOR_FILES, type ChunkVector, type KeyPairVector, type PasswordVector, type SealVector, type StreamVector } from './vector-files.js';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../docs/test-vectors');

/** `length` bytes fixed by a label: SHA-256 of "phr/v1 test vector|<label>|<counter>", concatenated. */
function fixedBytes(label: string, length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let offset = 0, counter = 0; offset < length; offset += 32, counter++) {
    out.set(createHash('sha256').update(`phr/v1 test vector|${label}|${counter}`).digest().subarray(0, length - offset), offset);
  }
  return out;
}

const hex = (bytes: Uint8Array) => toHex(bytes);
const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const aesKey = (raw: Uint8Array<ArrayBuffer>) => crypto.subtle.importKey('raw', raw, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);

async function sealedWith(label: string, aad: string, make: () => Promise<string>): Promise<SealVector> {
  const iv = fixedBytes(`iv|${label}`, 12);
  return { iv: hex(iv), aad, sealed: await withRandomBytes([iv], make) };
}

async function keyPair(): Promise<KeyPairVector> {
  const pair = await crypto.subtle.generateKey({ name: 'RSA-OAEP', hash: 'SHA-256', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['encrypt', 'decrypt']);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  const fingerprint = await fingerprintHex(spki);
  return {
    publicKey: toBase64Url(spki),
    privateKey: toBase64Url(new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey))),
    fingerprint,
    fingerprintGroups: formatFingerprint(fingerprint),
  };
}

const uuidFrom = (label: string) => {
  const bytes = fixedBytes(`uuid|${label}`, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const text = hex(bytes);
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
};

async function passwordVector(name: string, password: string, saltLabel: string): Promise<PasswordVector> {
  const salt = fixedBytes(`salt|${saltLabel}`, 16);
  const kdf: KdfParams = { algorithm: KDF_ALGORITHM, iterations: KDF_MIN_ITERATIONS, salt: toBase64Url(salt) };
  const passwordBytes = utf8(password.normalize('NFKC'));
  const passwordKey = await crypto.subtle.importKey('raw', passwordBytes, 'PBKDF2', false, ['deriveBits']);
  const masterKey = new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: kdf.iterations }, passwordKey, 256));
  const { authKey } = await derivePasswordKeys(password, kdf);
  const kek = await hkdfBytes(await deriveMasterKey(password, kdf), HKDF_INFO_KEK, 32);
  return { name, password, passwordBytes: hex(passwordBytes), kdf, salt: hex(salt), masterKey: hex(masterKey), authKey, authKeyHex: hex(Buffer.from(authKey, 'base64url')), kek: hex(kek) };
}

async function streamCase(name: string, fileKey: CryptoKey, recordId: string, plaintextBytes: number, chunkBytes: number, chunksPerSegment: number, isSmall: boolean): Promise<StreamVector> {
  const plaintext = isSmall ? fixedBytes(`plaintext|${name}`, plaintextBytes) : patternBytes(plaintextBytes);
  const layout = recordLayout(plaintextBytes, chunkBytes, chunksPerSegment);
  const file = new Blob([plaintext]);
  const segments: Uint8Array[] = [];
  for (const segment of layout.segments) segments.push(new Uint8Array(await (await encryptSegment(fileKey, recordId, file, layout, segment, chunkBytes)).arrayBuffer()));
  const header = streamHeader(chunkBytes);
  const vector: StreamVector = {
    name,
    chunkBytes,
    chunksPerSegment,
    plaintextBytes,
    layout,
    header: hex(header),
    aad: hex(new Uint8Array([...utf8(`phr/v1/record|${recordId}|`), ...header])),
    segmentSha256: segments.map(sha256Hex),
  };
  if (isSmall) {
    vector.plaintext = hex(plaintext);
    vector.segments = segments.map(hex);
    const stream = new Uint8Array(segments.reduce((sum, part) => sum + part.length, 0));
    let streamOffset = 0;
    for (const part of segments) {
      stream.set(part, streamOffset);
      streamOffset += part.length;
    }
    const chunks: ChunkVector[] = [];
    for (let index = 0, offset = header.length; index < layout.chunkCount; index++) {
      const isLast = index === layout.chunkCount - 1;
      const size = isLast ? stream.length - offset : chunkBytes + 16;
      const nonce = new Uint8Array(12);
      new DataView(nonce.buffer).setUint32(7, index);
      nonce[11] = isLast ? 1 : 0;
      chunks.push({ index, isLast, nonce: hex(nonce), sealed: hex(stream.subarray(offset, offset + size)) });
      offset += size;
    }
    vector.chunks = chunks;
  }
  return vector;
}

async function main(): Promise<void> {
  const about = (text: string) => `${text} Written once by frontend/src/crypto/vectors/generate.ts with the protocol code; checked by frontend/src/crypto/test-vectors.spec.ts. Raw bytes are lower-case hex; values the API carries are base64url without padding; text is UTF-8.`;

  // Keys from the password and the recovery code.
  const passwords = [
    await passwordVector('ASCII password', 'correct horse battery staple', 'ascii'),
    await passwordVector('NFKC: the ligature ﬁ, the Ångström sign and a full-width digit become fi, Å and 5', 'ﬁsh Å ５ 🐟 Grüße', 'nfkc'),
  ];
  const good = passwords[0].kdf;
  const recoveryBytes = fixedBytes('recovery-code', 20);
  const recoveryCode = formatRecoveryCode(recoveryBytes);
  const typed = recoveryCode.toLowerCase().replace(/-/g, ' ').replace(/1/g, 'l').replace(/0/g, 'o');
  if (hex(parseRecoveryCode(typed)) !== hex(recoveryBytes)) throw new Error('the typed form must parse to the same bytes');
  const recoveryKeys = await deriveRecoveryKeys(recoveryBytes);
  const kdfFile = {
    about: about('Keys from the password (PBKDF2-HMAC-SHA256, then HKDF-SHA256 with an empty salt) and from the recovery code (HKDF-SHA256 of its 20 bytes). docs/protocol.md "Keys from the password", "Account key, key pair, recovery".'),
    password: passwords,
    refused: [
      { why: `iterations below the floor of ${KDF_MIN_ITERATIONS}`, kdf: { ...good, iterations: KDF_MIN_ITERATIONS - 1 } },
      { why: `iterations above the ceiling of ${KDF_MAX_ITERATIONS}`, kdf: { ...good, iterations: KDF_MAX_ITERATIONS + 1 } },
      { why: 'iterations not a whole number', kdf: { ...good, iterations: 600_000.5 } },
      { why: 'a salt of 15 bytes', kdf: { ...good, salt: toBase64Url(fixedBytes('salt|short', 15)) } },
      { why: 'a salt of 17 bytes', kdf: { ...good, salt: toBase64Url(fixedBytes('salt|long', 17)) } },
      { why: 'a salt in padded base64', kdf: { ...good, salt: `${Buffer.from(fixedBytes('salt|ascii', 16)).toString('base64')}` } },
      { why: 'another algorithm', kdf: { ...good, algorithm: 'PBKDF2-SHA1' } },
    ],
    accepted: [
      { why: 'the floor itself', kdf: { ...good, iterations: KDF_MIN_ITERATIONS } },
      { why: 'the ceiling itself', kdf: { ...good, iterations: KDF_MAX_ITERATIONS } },
    ],
    recovery: [
      {
        code: recoveryCode,
        typed,
        codeBytes: hex(recoveryBytes),
        recoveryAuthKey: recoveryKeys.recoveryAuthKey,
        recoveryKek: hex(await hkdfBytes(await importHkdfKey(recoveryBytes.slice()), HKDF_INFO_RECOVERY_KEK, 32)),
      },
    ],
  };

  // Sealed blobs.
  const sealedCases = [
    { name: 'empty plaintext', plaintext: new Uint8Array(0), aad: 'phr/v1/example|empty' },
    { name: 'a short text', plaintext: utf8('Hello, sealed world'), aad: 'phr/v1/example|text' },
    { name: 'a 32-byte key, as every wrap seals', plaintext: fixedBytes('sealed|key', 32), aad: 'phr/v1/file-key|3f0b1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d|7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d' },
  ];
  const sealedVectors = [];
  for (const item of sealedCases) {
    const keyBytes = fixedBytes(`sealed-key|${item.name}`, 32);
    const { iv, sealed } = await sealedWith(`sealed|${item.name}`, item.aad, async () => seal(await aesKey(keyBytes), item.plaintext, item.aad));
    sealedVectors.push({ name: item.name, key: hex(keyBytes), iv, plaintext: hex(item.plaintext), aad: item.aad, blob: sealed, blobHex: hex(Buffer.from(sealed, 'base64url')) });
  }
  const text = sealedVectors[1];
  const textBytes = Buffer.from(text.blob, 'base64url');
  const flipped = Buffer.from(textBytes);
  flipped[flipped.length - 1] ^= 0x01;
  const version2 = Buffer.from(textBytes);
  version2[0] = 2;
  const sealedFile = {
    about: about('The sealed blob: version byte 0x01 ‖ IV (12 bytes) ‖ AES-256-GCM ciphertext (as long as the plaintext) ‖ tag (16 bytes), authenticated data = UTF-8 of the AAD string. docs/protocol.md "Encodings".'),
    cases: sealedVectors,
    refused: [
      { name: 'version byte 2', key: text.key, aad: text.aad, blob: version2.toString('base64url'), error: 'UNSUPPORTED_VERSION' },
      { name: 'shorter than version, IV and tag (28 bytes)', key: text.key, aad: text.aad, blob: textBytes.subarray(0, 28).toString('base64url'), error: 'MALFORMED_BLOB' },
      { name: 'padding after the base64url', key: text.key, aad: text.aad, blob: `${text.blob}=`, error: 'MALFORMED_BLOB' },
      { name: 'a character of standard base64 (+)', key: text.key, aad: text.aad, blob: `+${text.blob.slice(1)}`, error: 'MALFORMED_BLOB' },
      { name: 'the last bit of the tag flipped', key: text.key, aad: text.aad, blob: flipped.toString('base64url'), error: 'DECRYPT_FAILED' },
      { name: 'other authenticated data', key: text.key, aad: `${text.aad}x`, blob: text.blob, error: 'DECRYPT_FAILED' },
    ],
  };

  // Wraps.
  const ownerId = uuidFrom('owner');
  const recordId = uuidFrom('record');
  const doctorId = uuidFrom('doctor');
  const accountKeyBytes = fixedBytes('account-key', 32);
  const accountKey = await aesKey(accountKeyBytes);
  const fileKeyBytes = fixedBytes('file-key', 32);
  const { kek } = await derivePasswordKeys(passwords[0].password, good);
  const patient = await keyPair();
  const doctor = await keyPair();
  const pkcs8 = Buffer.from(patient.privateKey, 'base64url');
  const { recoveryKek } = await deriveRecoveryKeys(recoveryBytes.slice());
  const label = doctorWrapLabel(recordId, doctorId, doctor.fingerprint);
  const wrapsFile = {
    about: about('Every wrap of the protocol: the account key under the password KEK and under the recovery KEK, the private key and the owner’s file-key wrap and a folder name under the account key (sealed blobs, see sealed-blob.json), and a doctor’s RSA-OAEP-SHA256 wrap (randomised: only opening it is pinned). docs/protocol.md "Account key, key pair, recovery", "Records".'),
    ownerId,
    recordId,
    doctorId,
    password: passwords[0].password,
    kdf: good,
    accountKey: hex(accountKeyBytes),
    accountKeyWrap: await sealedWith('account-key-wrap', accountKeyAad(good), () => seal(kek, accountKeyBytes.slice(), accountKeyAad(good))),
    keyPair: patient,
    privateKeyWrap: await sealedWith('private-key-wrap', PRIVATE_KEY_AAD, () => seal(accountKey, new Uint8Array(pkcs8), PRIVATE_KEY_AAD)),
    recoveryCode,
    recoveryWrap: await sealedWith('recovery-wrap', RECOVERY_WRAP_AAD, () => seal(recoveryKek, accountKeyBytes.slice(), RECOVERY_WRAP_AAD)),
    fileKey: hex(fileKeyBytes),
    ownerWrap: await sealedWith('owner-wrap', `phr/v1/file-key|${recordId}|${ownerId}`, () => wrapForOwner(accountKey, fileKeyBytes.slice(), recordId, ownerId)),
    folderName: { name: 'Cardiology 2026 – Dr. Müller', ...(await sealedWith('folder-name', `phr/v1/folder-name|${ownerId}`, () => sealFolderName(accountKey, ownerId, 'Cardiology 2026 – Dr. Müller'))) },
    doctor: { ...doctor, label, wrap: await wrapForDoctor(await importDoctorKey(Buffer.from(doctor.publicKey, 'base64url')), fileKeyBytes.slice(), recordId, doctorId, doctor.fingerprint) },
  };

  // Metadata, sealed under the file key.
  const fileKey = await importFileKey(fileKeyBytes.slice());
  const metadata: RecordMetadata = { fileName: 'Blutbild 2026-03.pdf', mimeType: 'application/pdf', title: 'Blood count, March', date: '2026-03-14', category: 'lab-result', notes: 'Fasting; ask about ferritin.' };
  const legacyJson = JSON.stringify({ ...metadata, category: 'Lab result' });
  const metadataFile = {
    about: about('The record metadata document: UTF-8 JSON sealed under the file key with AAD "phr/v1/metadata|<recordId>" (the file key and record id of wraps.json). The legacy case is what the portal wrote before categories were codes; readers map its label. docs/protocol.md "Record metadata".'),
    fileKey: hex(fileKeyBytes),
    recordId,
    metadata,
    json: JSON.stringify(metadata),
    seal: await sealedWith('metadata', `phr/v1/metadata|${recordId}`, () => sealMetadata(fileKey, recordId, metadata)),
    legacy: {
      json: legacyJson,
      reads: metadata,
      seal: await sealedWith('metadata-legacy', `phr/v1/metadata|${recordId}`, () => seal(fileKey, utf8(legacyJson), `phr/v1/metadata|${recordId}`)),
    },
  };

  // The record stream.
  const small = (name: string, size: number, perSegment = 256) => streamCase(name, fileKey, recordId, size, 16, perSegment, true);
  const streamFile = {
    about: about('The record stream (STREAM over AES-256-GCM) under the file key of wraps.json, for its record id. Small cases use 16-byte chunks (the header says so; the portal writes 262144) and give every byte; the two cases at the portal’s chunk size give SHA-256 of each segment, for the plaintext byte i = i mod 251. docs/protocol.md "Records".'),
    fileKey: hex(fileKeyBytes),
    recordId,
    cases: [
      await small('0 bytes: one empty chunk, flagged last', 0),
      await small('5 bytes: one short chunk', 5),
      await small('16 bytes: exactly one full chunk, and no empty chunk after it', 16),
      await small('48 bytes: exactly three full chunks', 48),
      await small('50 bytes in segments of 2 chunks: 4 chunks in 2 segments, the last chunk 2 bytes', 50, 2),
      await streamCase('262144 bytes at the portal’s chunk size: exactly one chunk', fileKey, recordId, RECORD_CHUNK_BYTES, RECORD_CHUNK_BYTES, RECORD_CHUNKS_PER_SEGMENT, false),
      await streamCase('524289 bytes at the portal’s chunk size: three chunks, the last 1 byte', fileKey, recordId, 2 * RECORD_CHUNK_BYTES + 1, RECORD_CHUNK_BYTES, RECORD_CHUNKS_PER_SEGMENT, false),
    ],
    layouts: [0, 1, RECORD_CHUNK_BYTES, RECORD_CHUNK_BYTES + 1, RECORD_CHUNK_BYTES * RECORD_CHUNKS_PER_SEGMENT, RECORD_CHUNK_BYTES * RECORD_CHUNKS_PER_SEGMENT + 1].map((size) => ({
      plaintextBytes: size,
      ...recordLayout(size),
    })),
  };

  // Proof of work.
  const challenge = 'A'.repeat(74);
  const nonce = await solveProofOfWork(challenge, 12);
  const proofFile = {
    about: about('Proof of work: the first decimal nonce whose SHA-256(ASCII(challenge) ‖ ":" ‖ ASCII(nonce)) starts with `difficulty` zero bits. docs/protocol.md "Proof of work".'),
    cases: [{ challenge, difficulty: 12, nonce, digest: createHash('sha256').update(`${challenge}:${nonce}`, 'ascii').digest('hex') }],
  };

  // The audit chain: three rows of one trail, with the text each hashes.
  const subject = uuidFrom('audit-subject');
  const auditRows: Array<Omit<AuditEvent, 'hash' | 'prevHash'>> = [
    { subjectId: subject, seq: 1, occurredAt: '2026-01-02T03:04:05.678Z', actorId: subject, actorRole: 'patient', action: 'session.login', outcome: 'allow', reason: 'new device', recordId: null, consentId: null, ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', requestId: 'req-0001' },
    {
      subjectId: subject,
      seq: 2,
      occurredAt: '2026-01-02T03:04:06.000Z',
      actorId: uuidFrom('audit-doctor'),
      actorRole: 'doctor',
      action: 'record.read',
      outcome: 'deny',
      reason: 'consent revoked: “Zoë” said "no" \\ then\tleft\nfor Αθήνα 🩺 \u0001',
      recordId: uuidFrom('audit-record'),
      consentId: uuidFrom('audit-consent'),
      ip: '2001:db8::1',
      userAgent: 'Navigateur/1.0 (café; ünïcode) </script>',
      requestId: 'req-0002',
    },
    { subjectId: subject, seq: 3, occurredAt: '2026-01-03T00:00:00.000Z', actorId: null, actorRole: 'system', action: 'record.purge', outcome: 'allow', reason: '', recordId: uuidFrom('audit-record'), consentId: null, ip: null, userAgent: null, requestId: null },
  ];
  let prevAuditHash = AUDIT_GENESIS_HASH;
  const auditChain = auditRows.map((row) => {
    const canonical = canonicalAuditRow(row);
    const entry = { ...row, prevHash: prevAuditHash, hash: sha256Hex(utf8(`${prevAuditHash}\n${canonical}`)), canonical };
    prevAuditHash = entry.hash;
    return entry;
  });
  const auditFile = {
    about: about(
      'The audit chain: each row of a trail as GET /api/audit returns it (AuditEvent), its canonical text (the JSON array of docs/protocol.md "Audit trail", written as ECMAScript\'s JSON.stringify writes it) and hash = hex(SHA-256(UTF-8(prevHash ‖ "\\n" ‖ canonical))), prevHash of the first row 64 zeros. Row 2 holds typographic quotes, non-ASCII and a character outside the BMP (written as they are), a quote, a backslash, a tab, a line feed and U+0001 (escaped); row 3 nulls and an empty reason.',
    ),
    rows: auditChain,
  };

  const files: Array<[string, unknown]> = [
    [VECTOR_FILES.kdf, kdfFile],
    [VECTOR_FILES.sealedBlob, sealedFile],
    [VECTOR_FILES.wraps, wrapsFile],
    [VECTOR_FILES.metadata, metadataFile],
    [VECTOR_FILES.recordStream, streamFile],
    [VECTOR_FILES.proofOfWork, proofFile],
    [VECTOR_FILES.auditChain, auditFile],
  ];
  const only = process.argv.slice(2);
  const written = files.filter(([name]) => only.length === 0 || only.includes(name));
  for (const [name, content] of written) await writeFile(path.join(OUT, name), `${JSON.stringify(content, null, 2)}\n`);
  console.log(`Wrote ${written.length} files to ${OUT}`);
}

await main();
