/** Errors of the crypto module carry a stable code and never any key material. */
export type CryptoErrorCode =
  | 'DECRYPT_FAILED'
  | 'UNSUPPORTED_VERSION'
  | 'MALFORMED_BLOB'
  | 'WEAK_KDF_PARAMETERS'
  | 'BAD_RECOVERY_CODE'
  | 'LOCKED'
  | 'NO_PENDING_LOGIN'
  | 'UNKNOWN_METHOD'
  | 'RECORD_CORRUPT'
  | 'NO_PENDING_RECORD'
  | 'NO_SUCH_SEGMENT'
  | 'UNSUPPORTED_CHUNK'
  | 'WRAP_INVALID'
  | 'DOWNLOAD_EXPIRED'
  | 'DOWNLOAD_FAILED'
  | 'DOWNLOAD_STALLED'
  | 'UPLOAD_CANCELLED'
  | 'BAD_PROOF_OF_WORK'
  | 'OWN_KEY_MISMATCH'
  | 'CLIENT_STATE_INVALID'
  | 'KEY_NOT_VERIFIED'
  | 'TREE_HEAD_INVALID'
  | 'TREE_HEAD_INCONSISTENT'
  | 'KEY_BINDING_INVALID'
  | 'KEY_ROTATION_MISMATCH'
  | 'KEY_LOG_INCOMPLETE'
  | 'METADATA_INVALID'
  | 'WRONG_PASSWORD'
  | 'NO_KEY_ROTATION'
  | 'ROTATION_KEY_MISMATCH'
  | 'EMERGENCY_KEY_CLOSED';


export class CryptoError extends Error {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CryptoError';
  }
}
