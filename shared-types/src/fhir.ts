/**
 * FHIR R4 exports (docs/protocol.md "FHIR exports"): the audit trail as AuditEvent resources
 * (IHE BALP's patient-read profile for reads of a record) and consents as Consent resources,
 * each as a searchset Bundle, paged with a `next` link. Only the parts of FHIR R4 these
 * exports use are typed here; the API tests validate the documents against the official
 * FHIR R4 JSON schema.
 */
import type { Uuid } from './common.js';

export const FHIR_CONTENT_TYPE = 'application/fhir+json';

export const FHIR_PAGE_DEFAULT = 100;
export const FHIR_PAGE_MAX = 500;

/** The profile every exported read of a record claims (IHE BALP, ITI). */
export const BALP_PATIENT_READ_PROFILE = 'https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead';
/** The code system of this service's own audit actions (AuditEvent.subtype beside the FHIR interaction). */
export const PHR_AUDIT_ACTION_SYSTEM = 'urn:phr:audit-action';
/** Identifier system of accounts, records and consents: their UUIDs as urn:uuid URIs. */
export const FHIR_URI_SYSTEM = 'urn:ietf:rfc:3986';

/**
 * GET /fhir/AuditEvent and GET /fhir/Consent: the caller's own trail or consents; an auditor
 * names any subject with `patient`. `_count` is the page size, `cursor` the opaque position a
 * `next` link carries.
 */
export interface FhirSearchQuery {
  patient?: Uuid;
  _count?: number;
  cursor?: string;
}

export interface FhirCoding {
  system?: string;
  code?: string;
  display?: string;
}
export interface FhirCodeableConcept {
  coding?: FhirCoding[];
  text?: string;
}
export interface FhirIdentifier {
  system?: string;
  value?: string;
}
export interface FhirReference {
  reference?: string;
  type?: string;
  identifier?: FhirIdentifier;
  display?: string;
}
export interface FhirPeriod {
  start?: string;
  end?: string;
}
export interface FhirMeta {
  profile?: string[];
  lastUpdated?: string;
}

export interface FhirAuditEventAgent {
  type?: FhirCodeableConcept;
  role?: FhirCodeableConcept[];
  who?: FhirReference;
  requestor: boolean;
  network?: { address?: string; type?: '1' | '2' | '3' | '4' | '5' };
}
export interface FhirAuditEventEntity {
  what?: FhirReference;
  type?: FhirCoding;
  role?: FhirCoding;
  description?: string;
}
export interface FhirAuditEvent {
  resourceType: 'AuditEvent';
  id: string;
  meta?: FhirMeta;
  type: FhirCoding;
  subtype?: FhirCoding[];
  action?: 'C' | 'R' | 'U' | 'D' | 'E';
  recorded: string;
  outcome?: '0' | '4' | '8' | '12';
  outcomeDesc?: string;
  purposeOfEvent?: FhirCodeableConcept[];
  agent: FhirAuditEventAgent[];
  source: { site?: string; observer: FhirReference; type?: FhirCoding[] };
  entity?: FhirAuditEventEntity[];
}

export interface FhirConsent {
  resourceType: 'Consent';
  id: string;
  meta?: FhirMeta;
  status: 'draft' | 'proposed' | 'active' | 'rejected' | 'inactive' | 'entered-in-error';
  scope: FhirCodeableConcept;
  category: FhirCodeableConcept[];
  patient?: FhirReference;
  dateTime?: string;
  performer?: FhirReference[];
  policyRule?: FhirCodeableConcept;
  provision?: {
    type?: 'deny' | 'permit';
    period?: FhirPeriod;
    actor?: Array<{ role: FhirCodeableConcept; reference: FhirReference }>;
    action?: FhirCodeableConcept[];
    purpose?: FhirCoding[];
    data?: Array<{ meaning: 'instance' | 'related' | 'dependents' | 'authoredby'; reference: FhirReference }>;
  };
}

export interface FhirBundle<R> {
  resourceType: 'Bundle';
  type: 'searchset';
  timestamp: string;
  link: Array<{ relation: 'self' | 'next'; url: string }>;
  entry: Array<{ fullUrl: string; resource: R; search: { mode: 'match' } }>;
}
