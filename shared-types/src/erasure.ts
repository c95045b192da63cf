/** Erasure of one's own account (GDPR Art. 17; DESIGN 1: patients "export and erase own data"). */
import type { Base64Url, IsoDateTime } from './common.js';

/** What the caller types (and the portal sends) to say that they mean it. */
export const ACCOUNT_ERASURE_CONFIRMATION = 'erase my account';

/** The optional reason is kept in the audit trail, so it is short. */
export const ERASURE_REASON_MAX_LENGTH = 500;

/** POST /account/erase */
export interface EraseAccountRequest {
  /** Re-authentication: the auth key derived from the current password (as for a password change). */
  currentAuthKey: Base64Url;
  confirmation: typeof ACCOUNT_ERASURE_CONFIRMATION;
  /** Why, in the caller's words; recorded in the audit row of the erasure. */
  reason?: string;
}

/** What was erased. The audit trail stays (legal retention), the account and its data are gone. */
export interface AccountErasureReceipt {
  erasedAt: IsoDateTime;
  /** Records the caller owned (their objects, wraps and metadata). */
  records: number;
  /** Uploads started and never committed. */
  uploads: number;
  folders: number;
  /** Consents the caller granted (patient) or was named in (doctor). */
  consents: number;
  /** Objects removed from the store. */
  objects: number;
}
