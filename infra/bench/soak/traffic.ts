/**
 * The soak's traffic: a handful of virtual users, each a closed loop. Patients
 * upload, list, read, share, revoke, read their audit trail, sign in again,
 * and now and then one leaves and a new patient registers in their place;
 * doctors read and list what is shared with them; one user sends what the API
 * must refuse (malformed JSON, unknown and ill-formed ids, forged tokens,
 * bodies over the limit) and expects the 4xx each deserves.
 */
import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { browserLikeClient } from '@phr/api-client';
import { ROUTES } from '@phr/shared-types';
import { Person, timed, type CommittedRecord, type SoakApi } from './actors.js';

export interface Share {
  consentId: string;
  record: CommittedRecord;
  doctorId: string;
  /**
   * `granting` from the grant's request until its answer, and for good if none came or a 5xx did (it
   * may have committed; a refusal with a 4xx takes the share out of the list); `revoking` likewise for a revocation: a doctor's read then may get either answer.
   */
  state: 'granting' | 'active' | 'revoking' | 'revoked';
}

/** What the users have made that others act on, and what the consistency check reads back. */
export class World {
  readonly committed: CommittedRecord[] = [];
  readonly shares: Share[] = [];
  readonly patients: Person[] = [];
  readonly doctors: Person[] = [];
}

export interface TrafficOptions {
  until: () => boolean;
  /** Records' plaintext sizes: mostly small documents, a few scans. */
  sizes?: readonly number[];
}

/** Documents of a few KiB to a scan of 1.5 MiB (mean ~310 KB); the larger ones have several chunks. */
const DEFAULT_SIZES = [2_000, 5_000, 12_000, 40_000, 90_000, 250_000, 600_000, 1_500_000] as const;

/** A patient's loop: weighted picks of what a person does in the portal. */
export async function patientLoop(api: SoakApi, world: World, seat: { person: Person }, options: TrafficOptions): Promise<void> {
  const sizes = options.sizes ?? DEFAULT_SIZES;
  while (!options.until()) {
    await survive(api, () => patientStep(api, world, seat, sizes));
    await pauseBetweenActions(api);
  }
}

async function patientStep(api: SoakApi, world: World, seat: { person: Person }, sizes: readonly number[]): Promise<void> {
  const me = seat.person;
  const mine = world.committed.filter((record) => record.ownerId === me.userId);
  const roll = chance();
  if (roll < 0.15 || mine.length === 0) {
    const record = await me.upload(sizes[randomInt(sizes.length)]);
    if (record) world.committed.push(record);
  } else if (roll < 0.45) {
    await me.listRecords();
  } else if (roll < 0.65) {
    const record = pick(mine);
    const read = await me.read(record);
    if (read?.status === 200 && read.sha256 !== record.sha256) api.stats.anomaly(`owner read of ${record.recordId} decrypted to other bytes`);
  } else if (roll < 0.75 && world.doctors.length > 0) {
    const record = pick(mine);
    const doctor = pick(world.doctors);
    if (!world.shares.some((share) => share.record.recordId === record.recordId && share.doctorId === doctor.userId && share.state !== 'revoked')) {
      // Listed before the request: a doctor's read may see the consent commit before its answer comes back here.
      const share: Share = { consentId: '', record, doctorId: doctor.userId, state: 'granting' };
      world.shares.push(share);
      const consent = await me.share(record, doctor.userId);
      if (consent) Object.assign(share, { consentId: consent.id, state: 'active' });
      // Refused: no consent exists, and the pair may be shared again later.
      else if (consent === false) world.shares.splice(world.shares.indexOf(share), 1);
    }
  } else if (roll < 0.8) {
    const share = world.shares.find((candidate) => candidate.record.ownerId === me.userId && candidate.state === 'active');
    if (share) {
      share.state = 'revoking';
      const revoked = await me.revoke(share.consentId);
      // No answer or a 5xx: the revocation may or may not have committed; a doctor's read may get either answer from now on.
      share.state = revoked === false ? 'active' : revoked ? 'revoked' : 'revoking';
    }
  } else if (roll < 0.9) {
    await me.readAudit();
  } else if (roll < 0.96) {
    await me.signIn();
  } else if (roll < 0.965) {
    // The person leaves (their records stay); a new patient registers in their place.
    const newcomer = await Person.register(api, 'patient');
    if (newcomer) {
      world.patients.push(newcomer);
      seat.person = newcomer;
    }
  } else {
    // The portal's own start-up: who am I, my folders.
    await me.send('GET /me', [200], ROUTES.me);
  }
}

/** A doctor's loop: read and decrypt what a patient shared, list a patient's shared records, list consents. */
export async function doctorLoop(api: SoakApi, world: World, doctor: Person, options: TrafficOptions): Promise<void> {
  while (!options.until()) {
    await survive(api, () => doctorStep(api, world, doctor));
    await pauseBetweenActions(api);
  }
}

async function doctorStep(api: SoakApi, world: World, doctor: Person): Promise<void> {
  // Never a grant still awaited or never answered: the consent may not exist (a read would be a 404).
  const shares = world.shares.filter((share) => share.doctorId === doctor.userId && share.state !== 'granting');
  const roll = chance();
  if (shares.length > 0 && roll < 0.7) {
    const { record } = pick(shares);
    // A revocation may commit while the read is under way, and a record revoked once may be shared
    // again: the answer is checked against the record's consents for this doctor before and after,
    // as they stand then (a grant begun since this step started included).
    const before = coverage(world.shares, doctor.userId, record.recordId);
    const read = await doctor.read(record, [200, 410]);
    const after = coverage(world.shares, doctor.userId, record.recordId);
    if (read?.status === 200 && before === 'ended' && after === 'ended') api.stats.anomaly(`doctor read record ${record.recordId} after its consent was revoked`);
    if (read?.status === 410 && before === 'active' && after === 'active') api.stats.anomaly(`doctor refused record ${record.recordId} under an active consent`);
    if (read?.status === 200 && read.sha256 !== record.sha256) api.stats.anomaly(`doctor read of ${record.recordId} decrypted to other bytes`);
  } else if (shares.length > 0 && roll < 0.85) {
    await doctor.listPatientRecords(pick(shares).record.ownerId);
  } else {
    await doctor.listConsents();
  }
}

/**
 * One step of a user, whatever it throws (a record that fails to decrypt, a registration mail
 * that never came): noted as an anomaly, which fails the soak, and the user goes on.
 */
async function survive(api: SoakApi, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    api.stats.anomaly(`a user's step threw: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Whether a doctor's consents over a record are in force: `active` if one is, `ended` if all were revoked, else `unsure` (a grant's or a revocation's answer is awaited or was lost). */
function coverage(shares: readonly Share[], doctorId: string, recordId: string): 'active' | 'ended' | 'unsure' {
  const states = shares.filter((share) => share.doctorId === doctorId && share.record.recordId === recordId).map((share) => share.state);
  if (states.includes('active')) return 'active';
  return states.every((state) => state === 'revoked') ? 'ended' : 'unsure';
}

/**
 * What a careless or hostile client sends, each with the status it must get: the API must
 * answer every one with that 4xx, never a 5xx. `sender` is an account of its own, which never
 * signs in again (a new sign-in ends the session its token belongs to).
 */
export async function malformedLoop(api: SoakApi, sender: Person, options: TrafficOptions): Promise<void> {
  const client = browserLikeClient(api.apiUrl, api.portalOrigin).unchecked();
  const forged = forgedToken();
  const kinds = [
    async (token: string) =>
      timed(api, 'malformed: bad JSON', [400], () => client.send(ROUTES.presignUpload, { token, rawBody: '{"size": 12,', headers: { 'content-type': 'application/json' } })),
    async (token: string) => timed(api, 'malformed: unknown record id', [404], () => client.send(ROUTES.getRecord, { token, params: { id: randomUUID() } })),
    async (token: string) => timed(api, 'malformed: ill-formed id', [400], () => client.send(ROUTES.getRecord, { token, params: { id: 'not-a-uuid' } })),
    async () => timed(api, 'malformed: forged token', [401], () => client.send(ROUTES.listRecords, { token: forged })),
    async () => timed(api, 'malformed: no token', [401], () => client.send(ROUTES.listRecords)),
    async (token: string) =>
      timed(api, 'malformed: body over the limit', [413], () => client.send(ROUTES.commitRecord, { token, body: { recordId: randomUUID(), metadata: 'x'.repeat(200_000), ownerWrap: 'x' } })),
    async (token: string) => timed(api, 'malformed: wrong field types', [400], () => client.send(ROUTES.presignUpload, { token, body: { size: 'twelve' } })),
  ];
  while (!options.until()) {
    await survive(api, async () => void (await pick(kinds)(await sender.currentToken())));
    await pauseBetweenActions(api);
  }
}

/** A token of the API's shape signed with a key that is not the API's. */
function forgedToken(): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = `${encode({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${encode({ sub: randomUUID(), role: 'auditor', exp: Math.floor(Date.now() / 1000) + 600 })}`;
  return `${head}.${createHmac('sha256', randomBytes(32)).update(head).digest('base64url')}`;
}

/**
 * A user thinks between clicks; while a fault is being injected the users back off a
 * little more, as the portal's retries do, instead of spinning on refused connections.
 */
function pauseBetweenActions(api: SoakApi): Promise<void> {
  const ms = api.stats.isInFault() ? 500 : 100 + chance() * 200;
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A uniform draw in [0, 1). */
function chance(): number {
  return randomInt(1_000_000) / 1_000_000;
}

function pick<T>(items: readonly T[]): T {
  return items[randomInt(items.length)];
}
