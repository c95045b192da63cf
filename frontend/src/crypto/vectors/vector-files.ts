/**
 * The test vectors of docs/protocol.md, kept as JSON under docs/test-vectors/:
 * inputs (keys, IVs, salts, plaintexts) and the exact outputs the protocol
 * code produced from them. `generate.ts` wrote them once; `test-vectors.spec.ts`
 * recomputes every output from its inputs and opens every sealed value.
 * Raw bytes are hex; values the API carries are base64url without padding,
 * as on the wire; text is UTF-8.
 */
import type { AuditEvent, KdfParams, RecordMetadata } from '@phr/shared-types';

export const VECTOR_FILES = {
  kdf: 'kdf.json',
  sealedBlob: 'sealed-blob.json',
  wraps: 'wraps.json',
  metadata: 'metadata.json',
  recordStream: 'record-stream.json',
  proofOfWork: 'proof-of-work.json',
  auditChain: 'audit-chain.json',
} as const;

export interface PasswordVector {
  name: string;
  password: string;
  /** The bytes PBKDF2 is given: UTF-8 of the NFKC form. */
  passwordBytes: string;
  kdf: KdfParams;
  salt: string;
  masterKey: string;
  authKey: string;
  authKeyHex: string;
  kek: string;
}

export interface RecoveryVector {
  code: string;
  /** The same code as a person might type it: lower case, spaces, I/L for 1 and O for 0. */
  typed: string;
  codeBytes: string;
  recoveryAuthKey: string;
  recoveryKek: string;
}

export interface KdfVectors {
  about: string;
  password: PasswordVector[];
  /** Each refused by the browser before any derivation, with WEAK_KDF_PARAMETERS. */
  refused: Array<{ why: string; kdf: KdfParams }>;
  /** The bounds themselves are accepted. */
  accepted: Array<{ why: string; kdf: KdfParams }>;
  recovery: RecoveryVector[];
}

export interface SealedVector {
  name: string;
  key: string;
  iv: string;
  plaintext: string;
  aad: string;
  blob: string;
  blobHex: string;
}

export interface SealedVectors {
  about: string;
  cases: SealedVector[];
  /** Each must fail to open with `error`. */
  refused: Array<{ name: string; key: string; aad: string; blob: string; error: string }>;
}

export interface SealVector {
  iv: string;
  aad: string;
  sealed: string;
}

export interface KeyPairVector {
  /** SPKI, base64url, as the API carries it. */
  publicKey: string;
  /** PKCS#8, base64url: a test key, here only so that the vectors can be opened. */
  privateKey: string;
  fingerprint: string;
  fingerprintGroups: string;
}

export interface WrapVectors {
  about: string;
  ownerId: string;
  recordId: string;
  doctorId: string;
  /** From kdf.json's first password vector. */
  password: string;
  kdf: KdfParams;
  accountKey: string;
  accountKeyWrap: SealVector;
  keyPair: KeyPairVector;
  privateKeyWrap: SealVector;
  recoveryCode: string;
  recoveryWrap: SealVector;
  fileKey: string;
  ownerWrap: SealVector;
  folderName: { name: string } & SealVector;
  doctor: KeyPairVector & { label: string; wrap: string };
}

export interface MetadataVectors {
  about: string;
  fileKey: string;
  recordId: string;
  metadata: RecordMetadata;
  json: string;
  seal: SealVector;
  legacy: { json: string; reads: RecordMetadata; seal: SealVector };
}

export interface ChunkVector {
  index: number;
  isLast: boolean;
  nonce: string;
  sealed: string;
}

export interface StreamVector {
  name: string;
  chunkBytes: number;
  chunksPerSegment: number;
  plaintextBytes: number;
  /** Hex, for small cases; large cases use the pattern byte i = i mod 251 instead. */
  plaintext?: string;
  layout: { chunkCount: number; ciphertextBytes: number; segments: Array<{ index: number; byteLength: number; firstChunk: number; chunkCount: number }> };
  header: string;
  /** The authenticated data of every chunk: "phr/v1/record|<recordId>|" ‖ header. */
  aad: string;
  chunks?: ChunkVector[];
  /** Hex of each segment object, for small cases; SHA-256 of each for large ones. */
  segments?: string[];
  segmentSha256: string[];
}

export interface StreamVectors {
  about: string;
  fileKey: string;
  recordId: string;
  cases: StreamVector[];
  /** recordLayout() with the portal's chunk and segment sizes. */
  layouts: Array<{ plaintextBytes: number; chunkCount: number; ciphertextBytes: number; segments: Array<{ index: number; byteLength: number; firstChunk: number; chunkCount: number }> }>;
}

export interface AuditChainVectors {
  about: string;
  /** Rows of one trail in chain order, each with the canonical text its hash covers. */
  rows: Array<AuditEvent & { canonical: string }>;
}

export interface ProofOfWorkVectors {
  about: string;
  cases: Array<{ challenge: string; difficulty: number; nonce: string; digest: string }>;
}

/** Plaintext of the large stream cases: byte i is i mod 251 (a prime, so chunks differ). */
export function patternBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = i % 251;
  return bytes;
}

export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new Error('not lower-case hex');
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
