/**
 * The client state (docs/protocol.md "Client state"): what the browser keeps
 * between visits and across devices to judge the server's answers, sealed
 * under the account key so the server stores it without reading or forging it.
 *
 *   { "v": 1,
 *     "keyLog":   { "treeSize": n, "rootHash": b64url } | null,   last key-directory head verified
 *     "contacts": { "<doctor id>": { "fingerprint": hex, "verifiedAt": ISO 8601,
 *                                    "shares"?: [{ "consent": id, "folderId": id | null, "expiresAt": ISO 8601 | null }] } },
 *     "audit":    { "sequence": n, "hash": hex } | null }         last audit-chain head verified
 *
 * Sealed blob (docs/protocol.md "Sealed blobs") under the account key with
 * the authenticated data "phr/v1/client-state|<lower-case user id>".
 */
import { CryptoError } from './errors.js';
import { open, seal } from './sealed.js';

export const CLIENT_STATE_VERSION = 1;

export interface KeptTreeHead {
  treeSize: number;
  /** base64url, 32 bytes. */
  rootHash: string;
}

export interface VerifiedContact {
  /** SHA-256 of the doctor's SPKI, lower-case hex: the key the patient compared aloud. */
  fingerprint: string;
  /** When the patient confirmed the numbers matched. */
  verifiedAt: string;
  /**
   * The patient's shares with this doctor that take new records in (a folder, or everything),
   * kept by the browser that granted them and dropped when revoked: a server that names the
   * doctor for a new record outside them is refused. Absent for a contact kept before shares
   * were (every covering share was then believed).
   */
  shares?: KeptShare[];
}

export interface KeptShare {
  /** The consent's id, lower case. */
  consent: string;
  /** The folder shared, lower case; null: every record. */
  folderId: string | null;
  /** When the consent ends; null: until revoked. */
  expiresAt: string | null;
}

export interface AuditCheckpoint {
  /** The seq of the last row of the chain verified. */
  sequence: number;
  /** That row's hash, lower-case hex. */
  hash: string;
}

export interface ClientStateDocument {
  v: typeof CLIENT_STATE_VERSION;
  keyLog: KeptTreeHead | null;
  contacts: Record<string, VerifiedContact>;
  audit: AuditCheckpoint | null;
}

export function emptyClientState(): ClientStateDocument {
  return { v: CLIENT_STATE_VERSION, keyLog: null, contacts: {}, audit: null };
}

const clientStateAad = (userId: string) => `phr/v1/client-state|${userId.toLowerCase()}`;

export async function sealClientState(accountKey: CryptoKey, userId: string, document: ClientStateDocument): Promise<string> {
  if (!isClientStateDocument(document)) throw new CryptoError('CLIENT_STATE_INVALID', 'The client state to seal is not a version 1 document');
  return seal(accountKey, new TextEncoder().encode(JSON.stringify(document)), clientStateAad(userId));
}

/** Null (nothing stored yet) opens as the empty state; a blob that does not open, or is not a document, is refused. */
export async function openClientState(accountKey: CryptoKey, userId: string, sealed: string | null): Promise<ClientStateDocument> {
  if (sealed === null) return emptyClientState();
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(await open(accountKey, sealed, clientStateAad(userId))));
  } catch {
    throw new CryptoError('CLIENT_STATE_INVALID', 'The stored client state does not open with this account’s key');
  }
  if (!isClientStateDocument(document)) throw new CryptoError('CLIENT_STATE_INVALID', 'The stored client state is not a document this portal understands');
  return document;
}

const HEX_64 = /^[0-9a-f]{64}$/;
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const hasOnly = (value: Record<string, unknown>, keys: string[]) => Object.keys(value).every((key) => keys.includes(key));

export function isClientStateDocument(value: unknown): value is ClientStateDocument {
  if (!isRecord(value) || value.v !== CLIENT_STATE_VERSION || !hasOnly(value, ['v', 'keyLog', 'contacts', 'audit'])) return false;
  const { keyLog, contacts, audit } = value;
  if (keyLog !== null && !(isRecord(keyLog) && hasOnly(keyLog, ['treeSize', 'rootHash']) && isCount(keyLog.treeSize) && typeof keyLog.rootHash === 'string' && BASE64URL_32.test(keyLog.rootHash))) return false;
  if (audit !== null && !(isRecord(audit) && hasOnly(audit, ['sequence', 'hash']) && isCount(audit.sequence) && typeof audit.hash === 'string' && HEX_64.test(audit.hash))) return false;
  if (!isRecord(contacts)) return false;
  return Object.entries(contacts).every(
    ([doctorId, contact]) =>
      UUID.test(doctorId) &&
      isRecord(contact) &&
      hasOnly(contact, ['fingerprint', 'verifiedAt', 'shares']) &&
      typeof contact.fingerprint === 'string' &&
      HEX_64.test(contact.fingerprint) &&
      isDate(contact.verifiedAt) &&
      (contact.shares === undefined || (Array.isArray(contact.shares) && contact.shares.every(isKeptShare))),
  );
}

const isDate = (value: unknown): value is string => typeof value === 'string' && !Number.isNaN(Date.parse(value));

function isKeptShare(value: unknown): value is KeptShare {
  return (
    isRecord(value) &&
    hasOnly(value, ['consent', 'folderId', 'expiresAt']) &&
    typeof value.consent === 'string' &&
    UUID.test(value.consent) &&
    (value.folderId === null || (typeof value.folderId === 'string' && UUID.test(value.folderId))) &&
    (value.expiresAt === null || isDate(value.expiresAt))
  );
}
