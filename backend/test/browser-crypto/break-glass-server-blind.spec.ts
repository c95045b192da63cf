/**
 * The server alone cannot open an emergency folder (issue 16, docs/threat-model.md "Break-glass"):
 * a real setup made with the portal's own crypto code (frontend/src/crypto), a break and both
 * holders' releases, then everything the server side holds (every row of every table, every
 * stored object) is searched for the plaintext, the file key, the emergency secret and the
 * emergency private key in every encoding; and the stored shares, combined as the server could,
 * open nothing.
 */
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'minio';
import { combine } from 'shamir-secret-sharing';
import { RECORD_CHUNK_BYTES, ROUTES, recordLayout, type RecordMetadata } from '@phr/shared-types';
import { createEmergencyKey, emergencyKeyAad, emergencyShareLabel, releaseShare, sealKeyCheck, wrapForEmergency, type NewEmergencyKey } from '../../../frontend/src/crypto/emergency.js';
import { fromBase64Url } from '../../../frontend/src/crypto/encoding.js';
import { fingerprintHex } from '../../../frontend/src/crypto/fingerprint.js';
import { importFileKey, newFileKey, sealMetadata, wrapForOwner } from '../../../frontend/src/crypto/record-keys.js';
import { encryptSegment } from '../../../frontend/src/crypto/record-stream.js';
import { open } from '../../../frontend/src/crypto/sealed.js';
import { registerUser, sealedBlob, type RegisteredUser } from '../support/factories.js';
import { putSegment } from '../support/records.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const RSA = { name: 'RSA-OAEP', hash: 'SHA-256' } as const;
const PLAINTEXT = 'Emergency folder: penicillin allergy (anaphylaxis 2019); warfarin 5 mg daily; type 1 diabetes. '.repeat(40);

/** An account with a real RSA-OAEP key pair: the test plays its browser. */
interface Person extends RegisteredUser {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  fingerprint: string;
}

async function registerWithKeys(api: TestApp, role: 'patient' | 'doctor', displayName: string): Promise<Person> {
  const pair = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
  const user = await registerUser(api, role, { displayName, keys: { wrappedAccountKey: sealedBlob(), publicKey: spki.toString('base64url'), wrappedPrivateKey: sealedBlob(1800) } });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pair.privateKey.export({ type: 'pkcs8', format: 'der' }), RSA, false, ['decrypt']);
  const publicKey = await webcrypto.subtle.importKey('spki', spki, RSA, true, ['encrypt']);
  return { ...user, privateKey, publicKey, fingerprint: await fingerprintHex(new Uint8Array(spki)) };
}

/**
 * Every way the bytes may be written down: raw (as UTF-8/Latin-1 text and as bytes), hex in either
 * case, and base64 and base64url at each of the three alignments a needle inside a longer
 * encoded value can have (the characters that mix in a neighbour's bits are dropped).
 */
function encodingsOf(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes);
  const forms = [buffer.toString('hex'), buffer.toString('hex').toUpperCase(), buffer.toString('latin1')];
  for (let shift = 0; shift < 3; shift++) {
    const shifted = Buffer.concat([Buffer.alloc(shift), buffer]);
    const skip = shift === 0 ? 0 : Math.ceil((shift * 8) / 6);
    // Drop the last character that may mix with what follows, and any padding.
    const base64 = shifted.toString('base64').replace(/=+$/, '');
    const core = base64.slice(skip, base64.length - 1);
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

describe('the server alone cannot decrypt an emergency folder (issue 16)', () => {
  let api: TestApp;
  let alice: Person;
  let holders: Person[];
  let clinician: Person;
  let emergency: NewEmergencyKey;
  let rawFileKey: Uint8Array<ArrayBuffer>;
  let secret: Uint8Array;
  let pkcs8: Uint8Array;

  beforeAll(async () => {
    api = await startTestApp();
    alice = await registerWithKeys(api, 'patient', 'Alice Patient');
    holders = [await registerWithKeys(api, 'patient', 'Bob Holder'), await registerWithKeys(api, 'doctor', 'Dr Holder')];
    clinician = await registerWithKeys(api, 'doctor', 'Dr Emergency');
    // Alice's account key, as her browser holds it after sign-in (the server never sees it).
    const accountKey = await importFileKey(webcrypto.getRandomValues(new Uint8Array(32)));
    const folderId = (await alice.client.send(ROUTES.createFolder, { token: alice.token, body: { name: sealedBlob(20) } })).body.id;

    // One real record in the emergency folder, encrypted as the portal encrypts it.
    const content = new TextEncoder().encode(PLAINTEXT);
    const presigned = await alice.client.send(ROUTES.presignUpload, { token: alice.token, body: { size: content.length, folderId } });
    const recordId = presigned.body.recordId;
    const fileKey = await newFileKey();
    rawFileKey = fileKey.raw.slice();
    const layout = recordLayout(content.length, RECORD_CHUNK_BYTES);
    for (const segment of layout.segments) {
      const body = await encryptSegment(fileKey.key, recordId, new Blob([content]), layout, segment, RECORD_CHUNK_BYTES);
      const target = presigned.body.segments.find((item) => item.index === segment.index);
      if (!target) throw new Error('no URL for a segment');
      expect((await putSegment(target, Buffer.from(await body.arrayBuffer()))).status).toBe(200);
    }
    const metadata: RecordMetadata = { fileName: 'allergies.txt', mimeType: 'text/plain', title: 'Allergies and medication', date: '2026-11-30', category: 'other', notes: '' };
    const committed = await alice.client.send(ROUTES.commitRecord, {
      token: alice.token,
      body: { recordId, folderId, metadata: await sealMetadata(fileKey.key, recordId, metadata), ownerWrap: await wrapForOwner(accountKey, fileKey.raw, recordId, alice.userId) },
    });
    expect(committed.status).toBe(201);

    // The setup: a 2-of-2 emergency key, the file key wrapped for it.
    emergency = await createEmergencyKey(alice.userId, holders.map((holder) => ({ holderId: holder.userId, publicKey: holder.publicKey, fingerprint: holder.fingerprint })), 2);
    const configured = await alice.client.send(ROUTES.configureEmergency, {
      token: alice.token,
      body: {
        scope: 'folder',
        folderId,
        publicKey: emergency.publicKey,
        sealedPrivateKey: emergency.sealedPrivateKey,
        keyCheck: await sealKeyCheck(accountKey, alice.userId, emergency.fingerprint),
        threshold: 2,
        holders: emergency.shares,
        wraps: [{ recordId, wrap: await wrapForEmergency(emergency.wrappingKey, rawFileKey, recordId, alice.userId, emergency.fingerprint) }],
      },
    });
    expect(configured.status).toBe(200);

    // A break and both releases: the server now holds every share, each wrapped for someone.
    const broken = await clinician.client.send(ROUTES.breakGlass, { token: clinician.token, body: { patientEmail: alice.request.email, reasonCode: 'ETREAT', reasonText: 'Unconscious on arrival' } });
    expect(broken.status).toBe(201);
    for (const [index, holder] of holders.entries()) {
      const [request] = (await holder.client.send(ROUTES.emergencyShareRequests, { token: holder.token })).body.items;
      const share = await releaseShare(holder.privateKey, emergency.shares[index], alice.userId, { id: clinician.userId, publicKey: clinician.publicKey, fingerprint: request.clinicianFingerprint }, broken.body.id);
      expect((await holder.client.send(ROUTES.releaseEmergencyShare, { token: holder.token, params: { id: broken.body.id }, body: { fingerprint: request.clinicianFingerprint, share } })).status).toBe(200);
    }

    // What the holders' browsers together know: the emergency secret, hence the private key.
    const parts = await Promise.all(
      holders.map(async (holder, index) =>
        new Uint8Array(await webcrypto.subtle.decrypt({ ...RSA, label: new TextEncoder().encode(emergencyShareLabel(alice.userId, holder.userId, holder.fingerprint)) }, holder.privateKey, fromBase64Url(emergency.shares[index].share))),
      ),
    );
    secret = await combine(parts);
    pkcs8 = await open(await importFileKey(new Uint8Array(secret)), emergency.sealedPrivateKey, emergencyKeyAad(alice.userId, emergency.fingerprint));
  });
  afterAll(async () => {
    await api?.close();
  });

  /** Every row of every table, every column, as the database's own JSON of it (bytea as hex). */
  async function databaseDump(): Promise<string> {
    const tables = await api.adminQuery<{ name: string }>(`SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`);
    const parts: string[] = [];
    for (const { name } of tables) {
      const rows = await api.adminQuery<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${name} t`);
      parts.push(...rows.map((row) => `${name} ${row.row}`));
    }
    return parts.join('\n');
  }

  /** Every object in the bucket, its bytes. */
  async function storedObjects(): Promise<Buffer[]> {
    const { s3 } = api.config;
    const client = new Client({ endPoint: s3.endpoint.hostname, port: Number(s3.endpoint.port), useSSL: s3.endpoint.protocol === 'https:', accessKey: s3.accessKey, secretKey: s3.secretKey, region: s3.region });
    const names: string[] = [];
    const listing = client.listObjectsV2(s3.bucket, '', true) as AsyncIterable<{ name?: string }>;
    for await (const item of listing) if (item.name) names.push(item.name);
    const bodies: Buffer[] = [];
    for (const name of names) {
      const chunks: Buffer[] = [];
      for await (const chunk of await client.getObject(s3.bucket, name)) chunks.push(chunk as Buffer);
      bodies.push(Buffer.concat(chunks));
    }
    return bodies;
  }

  it('holds the emergency setup: the rows and the record’s object are there', async () => {
    const dump = await databaseDump();
    expect(dump).toContain(emergency.sealedPrivateKey);
    expect(dump).toContain(emergency.shares[0].share);
    expect(dump).toContain('emergency_releases');
    // The search below finds bytes the server does hold, at any alignment inside a longer value.
    const spki = fromBase64Url(emergency.publicKey);
    for (const offset of [10, 11, 12]) expect(encodingsOf(spki.slice(offset, offset + 40)).filter((form) => dump.includes(form)).length).toBeGreaterThan(0);
    expect((await storedObjects()).length).toBeGreaterThan(0);
  });

  it('finds no plaintext, file key, emergency secret or emergency private key, in any encoding, in any row or object', async () => {
    const needles: Record<string, Uint8Array> = {
      plaintext: new TextEncoder().encode(PLAINTEXT.slice(0, 64)),
      'file key': rawFileKey,
      'emergency secret': secret,
      'emergency private key': pkcs8,
      // The private exponent's CRT part, not shared with the public key's modulus.
      'emergency private key tail': pkcs8.slice(pkcs8.length - 48),
    };
    const dump = await databaseDump();
    const objects = await storedObjects();
    const found: string[] = [];
    for (const [name, bytes] of Object.entries(needles)) {
      for (const form of encodingsOf(bytes)) {
        if (dump.includes(form)) found.push(`${name} in the database as ${form.slice(0, 16)}…`);
        if (objects.some((object) => object.includes(Buffer.from(form, 'latin1')))) found.push(`${name} in an object as ${form.slice(0, 16)}…`);
      }
      if (objects.some((object) => object.includes(Buffer.from(bytes)))) found.push(`${name} raw in an object`);
    }
    expect(found).toEqual([]);
  });

  it('cannot combine the stored shares (each wrapped for a holder or the clinician) into the emergency key', async () => {
    const stored = await api.adminQuery<{ share: string }>('SELECT share FROM emergency_holders UNION ALL SELECT share FROM emergency_releases');
    expect(stored).toHaveLength(4);
    const [setup] = await api.adminQuery<{ sealed_private_key: string; public_key: string }>('SELECT sealed_private_key, public_key FROM emergency_setups');
    const aad = emergencyKeyAad(alice.userId, await fingerprintHex(fromBase64Url(setup.public_key)));
    const attempts: Uint8Array[] = [];
    const bytes = stored.map((row) => fromBase64Url(row.share));
    for (let i = 0; i < bytes.length; i++) {
      attempts.push(bytes[i].slice(0, 32));
      for (let j = i + 1; j < bytes.length; j++) {
        // As Shamir shares: the server takes the stored bytes for shares (33 bytes each, or the whole).
        for (const length of [33, bytes[i].length]) {
          const combined = await combine([bytes[i].slice(0, length), bytes[j].slice(0, length)]).catch(() => null);
          if (combined) attempts.push(combined.slice(0, 32));
        }
      }
    }
    expect(attempts.length).toBeGreaterThan(4);
    for (const candidate of attempts) {
      expect(Buffer.from(candidate).equals(Buffer.from(secret))).toBe(false);
      await expect(open(await importFileKey(new Uint8Array(candidate)), setup.sealed_private_key, aad)).rejects.toThrow();
    }
    // The holders' private keys are what it takes: with them the same rows open.
    await expect(open(await importFileKey(new Uint8Array(secret)), setup.sealed_private_key, aad)).resolves.toHaveLength(pkcs8.length);
  });
});
