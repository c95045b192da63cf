import { AccountsAndAudit1764000000000 } from './1764000000000-accounts-and-audit.js';
import { Records1764100000000 } from './1764100000000-records.js';
import { Consents1764200000000 } from './1764200000000-consents.js';
import { AuditReading1764300000000 } from './1764300000000-audit-reading.js';
import { AuditorInvitations1764400000000 } from './1764400000000-auditor-invitations.js';
import { AccountErasure1764560000000 } from './1764560000000-account-erasure.js';
import { Retention1764600000000 } from './1764600000000-retention.js';
import { SessionLimits1764730000000 } from './1764730000000-session-limits.js';
import { SecurityKeys1764910000000 } from './1764910000000-security-keys.js';
import { KnownDevices1765000000000 } from './1765000000000-known-devices.js';
import { AuditLockOrder1765100000000 } from './1765100000000-audit-lock-order.js';
import { ObjectDeletions1765110000000 } from './1765110000000-object-deletions.js';
import { AttemptOwners1765120000000 } from './1765120000000-attempt-owners.js';
import { RegistrationByEmail1765200000000 } from './1765200000000-registration-by-email.js';
import { KeyDirectory1765300000000 } from './1765300000000-key-directory.js';
import { AccountKeyRotation1765400000000 } from './1765400000000-account-key-rotation.js';
import { KeyPairRotation1765410000000 } from './1765410000000-key-pair-rotation.js';
import { Clinicians1765500000000 } from './1765500000000-clinicians.js';
import { ConsentRule1765600000000 } from './1765600000000-consent-rule.js';
import { ListingScale1765720000000 } from './1765720000000-listing-scale.js';
import { OneTripAuditAndRequestStart1765730000000 } from './1765730000000-one-trip-audit-and-request-start.js';
import { AuditReadIndexes1765740000000 } from './1765740000000-audit-read-indexes.js';
import { ApiTokens1765830000000 } from './1765830000000-api-tokens.js';
import { AuditAccounts1765850000000 } from './1765850000000-audit-accounts.js';
import { Notifications1765810000000 } from './1765810000000-notifications.js';
import { RecordTrash1765820000000 } from './1765820000000-record-trash.js';

/** Every migration, in order. Listed explicitly: no file globbing in an ESM build. */
export const MIGRATIONS = [AccountsAndAudit1764000000000, Records1764100000000, Consents1764200000000, AuditReading1764300000000, AuditorInvitations1764400000000, AccountErasure1764560000000, Retention1764600000000, SessionLimits1764730000000, SecurityKeys1764910000000, KnownDevices1765000000000, AuditLockOrder1765100000000, ObjectDeletions1765110000000, AttemptOwners1765120000000, RegistrationByEmail1765200000000, KeyDirectory1765300000000, AccountKeyRotation1765400000000, KeyPairRotation1765410000000, Clinicians1765500000000, ConsentRule1765600000000, ListingScale1765720000000, OneTripAuditAndRequestStart1765730000000, AuditReadIndexes1765740000000, Notifications1765810000000, RecordTrash1765820000000, ApiTokens1765830000000, AuditAccounts1765850000000];
