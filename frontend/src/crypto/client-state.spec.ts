import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { emptyClientState, isClientStateDocument, openClientState, sealClientState, type ClientStateDocument } from './client-state.js';
import { fromBase64Url, toBase64Url } from './encoding.js';
import { seal } from './sealed.js';

const HEX = 'ab'.repeat(32);
const ROOT = toBase64Url(new Uint8Array(32).fill(7));

const full = (doctorId = randomUUID()): ClientStateDocument => ({
  v: 1,
  keyLog: { treeSize: 12, rootHash: ROOT },
  contacts: {
    [doctorId]: { fingerprint: HEX, verifiedAt: '2026-03-01T10:00:00.000Z', shares: [{ consent: randomUUID(), folderId: randomUUID(), expiresAt: '2027-03-01T00:00:00.000Z' }, { consent: randomUUID(), folderId: null, expiresAt: null }] },
    [randomUUID()]: { fingerprint: HEX, verifiedAt: '2026-03-01T10:00:00.000Z' },
  },
  audit: { sequence: 40, hash: HEX },
});

describe('the client state, sealed under the account key (docs/protocol.md "Client state")', () => {
  let accountKey: CryptoKey;
  const userId = randomUUID();

  beforeAll(async () => {
    accountKey = await crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), 'AES-GCM', false, ['encrypt', 'decrypt']);
  });

  it('seals and opens the document back; nothing stored yet opens as the empty state', async () => {
    const document = full();
    const sealed = await sealClientState(accountKey, userId, document);
    expect(sealed).not.toContain(HEX);
    expect(await openClientState(accountKey, userId, sealed)).toEqual(document);
    expect(await openClientState(accountKey, userId, null)).toEqual(emptyClientState());
  });

  it('binds the blob to its account: another account’s state, or one with a flipped bit, does not open', async () => {
    const sealed = await sealClientState(accountKey, userId, full());
    await expect(openClientState(accountKey, randomUUID(), sealed)).rejects.toMatchObject({ code: 'CLIENT_STATE_INVALID' });
    await fc.assert(
      fc.asyncProperty(fc.nat(), async (position) => {
        const bytes = fromBase64Url(sealed);
        const bit = 8 + (position % ((bytes.length - 1) * 8));
        bytes[bit >> 3] ^= 1 << (bit & 7);
        await expect(openClientState(accountKey, userId, toBase64Url(bytes))).rejects.toMatchObject({ code: 'CLIENT_STATE_INVALID' });
      }),
      { numRuns: 25 },
    );
  });

  it('accepts upper-case account ids as the same account (ids are canonical lower case)', async () => {
    const sealed = await sealClientState(accountKey, userId.toUpperCase(), full());
    expect((await openClientState(accountKey, userId, sealed)).v).toBe(1);
  });

  it.each<[string, unknown]>([
    ['another version', { ...full(), v: 2 }],
    ['a field of its own', { ...full(), extra: true }],
    ['a negative tree size', { ...full(), keyLog: { treeSize: -1, rootHash: ROOT } }],
    ['a root hash that is not 32 bytes', { ...full(), keyLog: { treeSize: 1, rootHash: 'abc' } }],
    ['an audit hash in upper case', { ...full(), audit: { sequence: 1, hash: HEX.toUpperCase() } }],
    ['a contact that is not an account id', { ...full(), contacts: { 'not-an-id': { fingerprint: HEX, verifiedAt: '2026-03-01T10:00:00.000Z' } } }],
    ['a contact without a date', { ...full(), contacts: { [randomUUID()]: { fingerprint: HEX, verifiedAt: 'yesterday' } } }],
    ['contacts as a list', { ...full(), contacts: [] }],
    ['a contact’s shares not a list', { ...full(), contacts: { [randomUUID()]: { fingerprint: HEX, verifiedAt: '2026-03-01T10:00:00.000Z', shares: {} } } }],
    ['a kept share whose consent is not an id', { ...full(), contacts: { [randomUUID()]: { fingerprint: HEX, verifiedAt: '2026-03-01T10:00:00.000Z', shares: [{ consent: 'x', folderId: null, expiresAt: null }] } } }],
    ['a kept share without its end', { ...full(), contacts: { [randomUUID()]: { fingerprint: HEX, verifiedAt: '2026-03-01T10:00:00.000Z', shares: [{ consent: randomUUID(), folderId: null }] } } }],
    ['a kept share with a field of its own', { ...full(), contacts: { [randomUUID()]: { fingerprint: HEX, verifiedAt: '2026-03-01T10:00:00.000Z', shares: [{ consent: randomUUID(), folderId: null, expiresAt: null, scope: 'all' }] } } }],
  ])('refuses a sealed document with %s', async (_what, document) => {
    expect(isClientStateDocument(document)).toBe(false);
    const sealed = await seal(accountKey, new TextEncoder().encode(JSON.stringify(document)), `phr/v1/client-state|${userId}`);
    await expect(openClientState(accountKey, userId, sealed)).rejects.toMatchObject({ code: 'CLIENT_STATE_INVALID' });
    await expect(sealClientState(accountKey, userId, document as ClientStateDocument)).rejects.toMatchObject({ code: 'CLIENT_STATE_INVALID' });
  });
});
