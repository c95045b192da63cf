/** A check of the server's answers that failed: what the alert says and the security event reports. */
import { SECURITY_EVENT_DETAIL_MAX_LENGTH, type ClientSecurityEventKind } from '@phr/shared-types';
import { VaultError } from '../../crypto/vault.js';

export class TrustFailure extends Error {
  constructor(
    readonly kind: ClientSecurityEventKind,
    message: string,
  ) {
    super(message);
    this.name = 'TrustFailure';
  }

  /** The report's detail: the message on one line, within the API's bound. */
  get detail(): string {
    const line = this.message.replace(/\s+/g, ' ').trim();
    return line.length <= SECURITY_EVENT_DETAIL_MAX_LENGTH ? line : `${line.slice(0, SECURITY_EVENT_DETAIL_MAX_LENGTH - 1)}…`;
  }
}

const KIND_OF_VAULT_CODE: Record<string, ClientSecurityEventKind> = {
  TREE_HEAD_INVALID: 'tree-head-invalid',
  TREE_HEAD_INCONSISTENT: 'tree-head-inconsistent',
  KEY_LOG_INCOMPLETE: 'tree-head-inconsistent',
  KEY_BINDING_INVALID: 'key-binding-invalid',
  KEY_NOT_VERIFIED: 'key-binding-invalid',
  CLIENT_STATE_INVALID: 'client-state-invalid',
  OWN_KEY_MISMATCH: 'own-key-mismatch',
};

/** A vault refusal that is a check failing becomes a TrustFailure; anything else (a lost connection) is returned as it is. */
export function asTrustFailure(error: unknown): unknown {
  if (error instanceof VaultError && Object.hasOwn(KIND_OF_VAULT_CODE, error.code)) return new TrustFailure(KIND_OF_VAULT_CODE[error.code], error.message);
  return error;
}
