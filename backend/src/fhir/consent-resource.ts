import { FHIR_URI_SYSTEM, type FhirConsent, type FhirReference } from '@phr/shared-types';
import type { ConsentRow } from '../access/consents.repository.js';
import { personReference, type KnownPerson } from './audit-event-resource.js';

const CONSENT_SCOPE = 'http://terminology.hl7.org/CodeSystem/consentscope';
const LOINC = 'http://loinc.org';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const PARTICIPATION_TYPE = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const CONSENT_ACTION = 'http://terminology.hl7.org/CodeSystem/consentaction';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

/** What a consent's scope covers: one record, a folder (a list of records), or everything (no data element: all of the patient's data). */
function provisionData(consent: ConsentRow): NonNullable<FhirConsent['provision']>['data'] {
  const byId = (type: string, id: string): FhirReference => ({ type, identifier: { system: FHIR_URI_SYSTEM, value: `urn:uuid:${id}` } });
  if (consent.scope === 'record' && consent.recordId) return [{ meaning: 'instance', reference: byId('DocumentReference', consent.recordId) }];
  if (consent.scope === 'folder' && consent.folderId) return [{ meaning: 'related', reference: byId('List', consent.folderId) }];
  return undefined;
}

/**
 * A consent as a FHIR R4 Consent (docs/protocol.md "FHIR exports"): a privacy consent
 * (scope patient-privacy, category LOINC 59284-0) the patient made (performer), permitting one
 * practitioner (provision.actor, information recipient) to access the data in scope during
 * the provision's period: from its creation to its revocation or expiry. In force: active;
 * revoked or expired: inactive. The purpose, free text the patient typed, is the policy's text.
 */
export function consentResource(consent: ConsentRow, people: ReadonlyMap<string, KnownPerson>): FhirConsent {
  const patient = personReference(consent.patientId, people, true);
  const end = consent.revokedAt ?? consent.expiresAt;
  const data = provisionData(consent);
  return {
    resourceType: 'Consent',
    id: consent.id,
    status: consent.status === 'active' ? 'active' : 'inactive',
    scope: { coding: [{ system: CONSENT_SCOPE, code: 'patient-privacy', display: 'Privacy Consent' }] },
    category: [{ coding: [{ system: LOINC, code: '59284-0', display: 'Patient Consent' }] }],
    patient,
    dateTime: consent.createdAt.toISOString(),
    performer: [patient],
    policyRule: { coding: [{ system: ACT_CODE, code: 'OPTIN', display: 'opt-in' }], ...(consent.purpose ? { text: consent.purpose } : {}) },
    provision: {
      type: 'permit',
      period: { start: consent.createdAt.toISOString(), ...(end ? { end: end.toISOString() } : {}) },
      actor: [{ role: { coding: [{ system: PARTICIPATION_TYPE, code: 'IRCP', display: 'information recipient' }] }, reference: personReference(consent.doctorId, people, false) }],
      action: [{ coding: [{ system: CONSENT_ACTION, code: 'access', display: 'Access' }] }],
      purpose: [{ system: ACT_REASON, code: 'TREAT', display: 'treatment' }],
      ...(data ? { data } : {}),
    },
  };
}
