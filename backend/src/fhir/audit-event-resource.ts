import {
  BALP_PATIENT_READ_PROFILE,
  FHIR_URI_SYSTEM,
  PHR_AUDIT_ACTION_SYSTEM,
  disclosureBasis,
  type AuditEvent,
  type DisclosureBasis,
  type FhirAuditEvent,
  type FhirAuditEventAgent,
  type FhirCoding,
  type FhirReference,
  type Role,
} from '@phr/shared-types';

/** Who an id names, as far as the export knows: a display name and the account's role. */
export interface KnownPerson {
  displayName: string;
  role: Role;
}

const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const DICOM = 'http://dicom.nema.org/resources/ontology/DCM';
const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const PARTICIPATION_TYPE = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';

/**
 * purposeOfEvent of an allowed read by its basis (docs/protocol.md "FHIR exports"): v3 ActReason
 * TREAT (treatment, under the patient's consent), ETREAT (emergency treatment, break-glass) and
 * FAMRQT (family requested: a trusted contact the patient named). `other` has none: its raw
 * reason stands in purposeOfEvent.text.
 */
const PURPOSE_OF_BASIS: Readonly<Record<Exclude<DisclosureBasis, 'other'>, FhirCoding>> = {
  consent: { system: ACT_REASON, code: 'TREAT', display: 'treatment' },
  emergency: { system: ACT_REASON, code: 'ETREAT', display: 'Emergency Treatment' },
  'trusted-contact': { system: ACT_REASON, code: 'FAMRQT', display: 'family requested' },
};

/** The FHIR RESTful interaction and the AuditEvent.action code of an action's verb; others are an application event (E). */
const INTERACTIONS: ReadonlyArray<[RegExp, string, FhirAuditEvent['action']]> = [
  [/\.(read|head)$/, 'read', 'R'],
  [/\.(list|export|access-report)$/, 'search-type', 'R'],
  [/\.(create|upload|grant|register|invite|request)$/, 'create', 'C'],
  [/\.(update|move|rename|rewrap|restore|trash|rotate|password-change|client-state)$/, 'update', 'U'],
  [/\.(delete|purge|revoke|expire|erase|upload-expired)$/, 'delete', 'D'],
];

/** AuditEvent.type: a RESTful operation for the API's data, a login for sessions, the use of the audit log for audit reads. */
function eventType(action: string): FhirCoding {
  if (action.startsWith('session.')) return { system: DICOM, code: '110114', display: 'User Authentication' };
  if (action.startsWith('audit.')) return { system: DICOM, code: '110101', display: 'Audit Log Used' };
  return { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'Restful Operation' };
}

/** A person as a logical reference: accounts are no FHIR resources of this server, so by identifier (urn:uuid) and type. */
export function personReference(id: string, people: ReadonlyMap<string, KnownPerson>, asPatient: boolean): FhirReference {
  const person = people.get(id);
  const type = asPatient || person?.role === 'patient' ? 'Patient' : 'Practitioner';
  return { type, identifier: { system: FHIR_URI_SYSTEM, value: `urn:uuid:${id}` }, ...(person ? { display: person.displayName } : {}) };
}

function userAgent(row: AuditEvent, people: ReadonlyMap<string, KnownPerson>): FhirAuditEventAgent {
  const who: FhirReference =
    row.actorId !== null
      ? personReference(row.actorId, people, row.actorId === row.subjectId && row.actorRole === 'patient')
      : { type: 'Device', display: row.actorRole === 'system' ? 'scheduled job of the service' : 'a client not signed in' };
  return {
    type: { coding: [{ system: PARTICIPATION_TYPE, code: 'IRCP', display: 'information recipient' }] },
    ...(row.actorRole ? { role: [{ text: row.actorRole }] } : {}),
    who,
    requestor: true,
  };
}

/**
 * One audit row as a FHIR R4 AuditEvent (IHE BALP: an allowed read of a record claims the
 * PatientRead profile: type rest, subtype read, the user agent as requestor, client (110153)
 * and server (110152) agents, the source observer, the patient and the record as entities,
 * purposeOfEvent from the basis). The row's seq and hash travel in the id and the entity of
 * the trail, so a consumer can check the resource against the chain.
 */
export function auditEventResource(row: AuditEvent, people: ReadonlyMap<string, KnownPerson>, observer: string): FhirAuditEvent {
  const interaction = INTERACTIONS.find(([pattern]) => pattern.test(row.action));
  const isPatientRead = row.action === 'record.read' && row.outcome === 'allow';
  const basis = disclosureBasis(row.reason);
  const subjectIsPatient = people.get(row.subjectId)?.role !== undefined ? people.get(row.subjectId)?.role === 'patient' : true;
  const entities: NonNullable<FhirAuditEvent['entity']> = [
    {
      what: personReference(row.subjectId, people, subjectIsPatient),
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: subjectIsPatient ? { system: OBJECT_ROLE, code: '1', display: 'Patient' } : { system: OBJECT_ROLE, code: '6', display: 'User' },
      description: `audit trail row ${row.seq}, hash ${row.hash}`,
    },
  ];
  if (row.recordId) {
    entities.push({
      what: { type: 'DocumentReference', identifier: { system: FHIR_URI_SYSTEM, value: `urn:uuid:${row.recordId}` } },
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
    });
  }
  if (row.consentId) {
    entities.push({
      what: { reference: `Consent/${row.consentId}`, type: 'Consent' },
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
    });
  }
  const purpose = isPatientRead && basis !== 'other' ? [{ coding: [PURPOSE_OF_BASIS[basis]] }] : isPatientRead && row.reason ? [{ text: row.reason }] : [];
  return {
    resourceType: 'AuditEvent',
    id: `${row.subjectId}-${row.seq}`,
    ...(isPatientRead ? { meta: { profile: [BALP_PATIENT_READ_PROFILE] } } : {}),
    type: isPatientRead ? { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'Restful Operation' } : eventType(row.action),
    subtype: [...(interaction ? [{ system: RESTFUL_INTERACTION, code: interaction[1] }] : []), { system: PHR_AUDIT_ACTION_SYSTEM, code: row.action }],
    action: interaction?.[2] ?? 'E',
    recorded: row.occurredAt,
    outcome: row.outcome === 'allow' ? '0' : '4',
    ...(row.reason ? { outcomeDesc: row.reason } : {}),
    ...(purpose.length ? { purposeOfEvent: purpose } : {}),
    agent: [
      userAgent(row, people),
      {
        type: { coding: [{ system: DICOM, code: '110153', display: 'Source Role ID' }] },
        who: { type: 'Device', display: row.userAgent ?? 'unknown client' },
        requestor: false,
        ...(row.ip ? { network: { address: row.ip, type: '2' as const } } : {}),
      },
      {
        type: { coding: [{ system: DICOM, code: '110152', display: 'Destination Role ID' }] },
        who: { type: 'Device', display: observer },
        requestor: false,
      },
    ],
    source: {
      site: observer,
      observer: { type: 'Device', display: observer },
      type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }],
    },
    entity: entities,
  };
}
