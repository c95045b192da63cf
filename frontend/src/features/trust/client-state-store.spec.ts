import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { emptyClientState, isClientStateDocument, type ClientStateDocument, type KeptShare } from '../../crypto/client-state.js';
import { forgetShare, keepShare, keepsShare, keptShareOf, rememberContact, sharesTakeIn, withoutShares } from './client-state-store.js';

const FINGERPRINT = 'ab'.repeat(32);
const NOW = new Date('2026-12-07T12:00:00.000Z');

const share = (folderId: string | null, expiresAt: string | null = null): KeptShare => ({ consent: randomUUID(), folderId, expiresAt });

describe('the shares kept with a contact (docs/protocol.md "The portal\'s document")', () => {
  const doctorId = randomUUID();
  const folder = randomUUID();
  const otherFolder = randomUUID();
  const contactOf = (document: ClientStateDocument) => document.contacts[doctorId];

  it('starts a new contact with no share, and keeps the shares when the numbers are compared again', () => {
    const compared = rememberContact(doctorId, FINGERPRINT)(emptyClientState());
    expect(contactOf(compared).shares).toEqual([]);
    expect(sharesTakeIn(contactOf(compared), folder, NOW)).toBe(false);
    const kept = share(folder);
    const withShare = keepShare(doctorId, kept, [], NOW)(compared);
    const again = rememberContact(doctorId, 'cd'.repeat(32))(withShare);
    expect(contactOf(again)).toMatchObject({ fingerprint: 'cd'.repeat(32), shares: [kept] });
    expect(isClientStateDocument(again)).toBe(true);
  });

  it('takes a new record in only where a kept share in force reaches: its folder, or everywhere for a share of everything', () => {
    const compared = rememberContact(doctorId, FINGERPRINT)(emptyClientState());
    const ofFolder = keepShare(doctorId, share(folder), [], NOW)(compared);
    expect(sharesTakeIn(contactOf(ofFolder), folder, NOW)).toBe(true);
    expect(sharesTakeIn(contactOf(ofFolder), folder.toUpperCase(), NOW)).toBe(true);
    expect(sharesTakeIn(contactOf(ofFolder), otherFolder, NOW)).toBe(false);
    expect(sharesTakeIn(contactOf(ofFolder), null, NOW)).toBe(false);
    const ofAll = keepShare(doctorId, share(null), [], NOW)(compared);
    expect([folder, otherFolder, null].map((where) => sharesTakeIn(contactOf(ofAll), where, NOW))).toEqual([true, true, true]);
  });

  it('treats a share past its end as gone, and drops it at the next change', () => {
    const ended = share(folder, '2026-12-07T11:59:59.000Z');
    const later = share(otherFolder, '2026-12-08T00:00:00.000Z');
    const document = keepShare(doctorId, later, [], NOW)(keepShare(doctorId, ended, [], new Date('2026-12-01T00:00:00.000Z'))(rememberContact(doctorId, FINGERPRINT)(emptyClientState())));
    expect(contactOf(document).shares).toEqual([later]);
    expect(sharesTakeIn(contactOf(document), folder, NOW)).toBe(false);
    expect(sharesTakeIn(contactOf(document), otherFolder, NOW)).toBe(true);
    expect(sharesTakeIn(contactOf(document), otherFolder, new Date('2026-12-08T00:00:00.000Z'))).toBe(false);
  });

  it('forgets a revoked share, and only that one (ids in any case)', () => {
    const [first, second] = [share(folder), share(folder)];
    const document = keepShare(doctorId, second, [], NOW)(keepShare(doctorId, first, [], NOW)(rememberContact(doctorId, FINGERPRINT)(emptyClientState())));
    const forgotten = forgetShare(doctorId.toUpperCase(), first.consent.toUpperCase(), [], NOW)(document);
    expect(contactOf(forgotten).shares).toEqual([second]);
    expect(keepsShare(contactOf(forgotten), first.consent, NOW)).toBe(false);
    expect(keepsShare(contactOf(forgotten), second.consent, NOW)).toBe(true);
    expect(sharesTakeIn(contactOf(forgotten), folder, NOW)).toBe(true);
    expect(sharesTakeIn(contactOf(forgetShare(doctorId, second.consent, [], NOW)(forgotten)), folder, NOW)).toBe(false);
  });

  it('believes every covering share for a contact kept before shares were, and starts its list from the shares in force when one is granted', () => {
    const before: ClientStateDocument = { ...emptyClientState(), contacts: { [doctorId]: { fingerprint: FINGERPRINT, verifiedAt: '2026-11-01T00:00:00.000Z' } } };
    expect(sharesTakeIn(contactOf(before), otherFolder, NOW)).toBe(true);
    expect(keepsShare(contactOf(before), randomUUID(), NOW)).toBe(true);
    // A revocation starts the list too, from the shares in force without the revoked one.
    const [revoked, stays] = [share(folder), share(otherFolder)];
    const afterRevoking = forgetShare(doctorId, revoked.consent, [revoked, stays], NOW)(before);
    expect(contactOf(afterRevoking).shares).toEqual([stays]);
    expect(sharesTakeIn(contactOf(afterRevoking), folder, NOW)).toBe(false);
    expect(forgetShare(randomUUID(), revoked.consent, [revoked], NOW)(before)).toBe(before);
    const earlier = share(otherFolder);
    const granted = share(folder);
    const after = keepShare(doctorId, granted, [earlier], NOW)(before);
    expect(contactOf(after).shares).toEqual([earlier, granted]);
    expect(sharesTakeIn(contactOf(after), null, NOW)).toBe(false);
    // Once the list exists, the server's list is not read again.
    expect(contactOf(keepShare(doctorId, share(null), [share(randomUUID())], NOW)(after)).shares).toHaveLength(3);
  });

  it('empties every contact’s shares from an older copy, the contacts kept before shares were included', () => {
    const other = randomUUID();
    const older: ClientStateDocument = {
      ...keepShare(doctorId, share(null), [], NOW)(rememberContact(doctorId, FINGERPRINT)(emptyClientState())),
    };
    older.contacts[other] = { fingerprint: FINGERPRINT, verifiedAt: '2026-11-01T00:00:00.000Z' };
    const emptied = withoutShares(older);
    expect(Object.values(emptied.contacts).map((contact) => contact.shares)).toEqual([[], []]);
    expect([doctorId, other].map((id) => sharesTakeIn(emptied.contacts[id], folder, NOW))).toEqual([false, false]);
    expect(emptied.contacts[doctorId].fingerprint).toBe(FINGERPRINT);
  });

  it('keeps nothing for a doctor who is not a contact', () => {
    expect(() => keepShare(doctorId, share(folder), [], NOW)(emptyClientState())).toThrow('not among your contacts');
  });

  it('makes a kept share of a folder or of everything, never of one record', () => {
    const id = randomUUID();
    expect(keptShareOf({ id: id.toUpperCase(), scope: 'folder', folderId: folder.toUpperCase(), expiresAt: null })).toEqual({ consent: id, folderId: folder, expiresAt: null });
    expect(keptShareOf({ id, scope: 'all', folderId: folder, expiresAt: '2027-01-01T00:00:00.000Z' })).toEqual({ consent: id, folderId: null, expiresAt: '2027-01-01T00:00:00.000Z' });
    expect(keptShareOf({ id, scope: 'record', folderId: null, expiresAt: null })).toBeNull();
    expect(keptShareOf({ id, scope: 'folder', folderId: null, expiresAt: null })).toBeNull();
  });
});
