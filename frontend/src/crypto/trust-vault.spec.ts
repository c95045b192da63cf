import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RECORD_CHUNK_BYTES, type KeyBindingProof, type RecordLayout, type SignedTreeHead } from '@phr/shared-types';
import type { KeptTreeHead } from './client-state.js';
import { fromBase64Url, toBase64Url } from './encoding.js';
import type { RecordMetadata } from './record-keys.js';
import type { SealedRecord } from './record-vault.js';
import { TestKeyLog } from './testing/key-log.js';
import { bindingFor } from './testing/proven-keys.js';
import type { OwnBindingCheck, VerifiedBinding } from './trust-vault.js';
import { newVaultState, type CreatedAccount, type VaultState } from './vault-protocol.js';
import { FAST, call, result } from './testing/vault-calls.js';




const refusal = (code: string) => ({ ok: false, error: { code, message: expect.any(String) } });
const flipped = (base64Url: string) => {
  const bytes = fromBase64Url(base64Url);
  bytes[0] ^= 1;
  return toBase64Url(bytes);
};
const metadata: RecordMetadata = { fileName: 'a.pdf', mimeType: 'application/pdf', title: 'A', date: '2026-03-01', category: 'lab-result', notes: '' };

describe('the vault judges the key directory (DESIGN 4.5)', () => {
  let log: TestKeyLog;
  let state: VaultState;
  let patientId: string;
  let doctor: { id: string; publicKey: string };

  beforeEach(async () => {
    log = await TestKeyLog.create();
    state = newVaultState({ ...FAST, logPublicKey: log.publicKey });
    patientId = randomUUID();
    const patient = await result<CreatedAccount>(state, 'createAccount', 'patient passphrase');
    log.append(await bindingFor(patientId, 'patient', patient.keys.publicKey));
    const doctorAccount = await result<CreatedAccount>(newVaultState(FAST), 'createAccount', 'doctor passphrase');
    doctor = { id: randomUUID(), publicKey: doctorAccount.keys.publicKey };
    log.append(await bindingFor(doctor.id, 'doctor', doctor.publicKey));
  });

  describe('tree heads', () => {
    it('accepts a head signed by the log key and answers what to keep', async () => {
      const head = await log.head();
      expect(await result<KeptTreeHead>(state, 'acceptTreeHead', head, null)).toEqual({ treeSize: 2, rootHash: head.rootHash });
      expect(await result(state, 'verifiedTreeHead')).toEqual(head);
    });

    it('refuses a head signed by another key, one with a changed root, size or time, and one naming another key', async () => {
      const other = await TestKeyLog.create();
      for (const leaf of log.leaves) other.append(leaf);
      const head = await log.head();
      const forgeries: SignedTreeHead[] = [
        await other.head(),
        { ...head, rootHash: flipped(head.rootHash) },
        { ...head, treeSize: head.treeSize + 1 },
        { ...head, issuedAt: new Date(0).toISOString() },
        { ...head, keyId: other.keyId },
        { ...head, signature: flipped(head.signature) },
      ];
      for (const forged of forgeries) expect(await call(state, 'acceptTreeHead', forged, null)).toMatchObject(refusal('TREE_HEAD_INVALID'));
      expect(state.verifiedHead).toBeNull();
    });

    it('refuses every head when the portal was built without a log key', async () => {
      const unbuilt = newVaultState(FAST);
      expect(await call(unbuilt, 'acceptTreeHead', await log.head(), null)).toMatchObject(refusal('TREE_HEAD_INVALID'));
    });

    it('accepts a head that extends the kept one with its consistency proof, and refuses it without one', async () => {
      const kept = { treeSize: 1, rootHash: await log.rootHash(1) };
      const head = await log.head();
      expect(await call(state, 'acceptTreeHead', head, kept, [])).toMatchObject(refusal('TREE_HEAD_INCONSISTENT'));
      expect(await call(state, 'acceptTreeHead', head, kept, [{ from: 2, to: 2, proof: [] }])).toMatchObject(refusal('TREE_HEAD_INCONSISTENT'));
      expect(await result(state, 'acceptTreeHead', head, kept, [await log.consistency(1)])).toEqual({ treeSize: 2, rootHash: head.rootHash });
    });

    it('refuses a head older than the kept one (a log rolled back), and another log of the same size (a fork)', async () => {
      const kept = { treeSize: 2, rootHash: await log.rootHash() };
      expect(await call(state, 'acceptTreeHead', await log.head(1), kept)).toMatchObject(refusal('TREE_HEAD_INCONSISTENT'));
      const fork = await TestKeyLog.fromSigningKeyOf(log);
      fork.append(log.leaves[0]);
      fork.append(await bindingFor(doctor.id, 'doctor', toBase64Url(fromBase64Url(doctor.publicKey).reverse())));
      expect(await call(state, 'acceptTreeHead', await fork.head(), kept)).toMatchObject(refusal('TREE_HEAD_INCONSISTENT'));
    });

    it('refuses a signed fork that kept the old leaves but rewrote one (the proof from the kept head cannot be made)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.nat(), async (keptSize, grownBy, rewritten) => {
          const honest = await TestKeyLog.fromSigningKeyOf(log);
          const forked = await TestKeyLog.fromSigningKeyOf(log);
          for (let i = 0; i < keptSize + grownBy; i++) {
            const leaf = await bindingFor(randomUUID(), 'doctor', doctor.publicKey);
            honest.append(leaf);
            forked.append(i === rewritten % keptSize ? { ...leaf, role: 'patient' } : leaf);
          }
          const fresh = newVaultState({ ...FAST, logPublicKey: log.publicKey });
          const kept = { treeSize: keptSize, rootHash: await honest.rootHash(keptSize) };
          // The forger's best proof: the one its own log gives.
          const response = await call(fresh, 'acceptTreeHead', await forked.head(), kept, [await forked.consistency(keptSize)]);
          expect(response).toMatchObject(refusal('TREE_HEAD_INCONSISTENT'));
          expect((await call(fresh, 'acceptTreeHead', await honest.head(), kept, [await honest.consistency(keptSize)])).ok).toBe(true);
        }),
        { numRuns: 12 },
      );
    });

    it('holds every later head of the session to the one accepted before, not only to the kept one', async () => {
      await result(state, 'acceptTreeHead', await log.head(), null);
      expect(await call(state, 'acceptTreeHead', await log.head(1), null)).toMatchObject(refusal('TREE_HEAD_INCONSISTENT'));
      log.append(await bindingFor(randomUUID(), 'patient', doctor.publicKey));
      expect(await call(state, 'acceptTreeHead', await log.head(), null)).toMatchObject(refusal('TREE_HEAD_INCONSISTENT'));
      expect((await call(state, 'acceptTreeHead', await log.head(), null, [await log.consistency(2)])).ok).toBe(true);
    });
  });

  describe('other accounts’ keys, and wrapping for them', () => {
    beforeEach(async () => {
      await result(state, 'acceptTreeHead', await log.head(), null);
    });

    async function ownerWrap(): Promise<{ recordId: string; sealed: SealedRecord }> {
      const recordId = randomUUID();
      await result<RecordLayout>(state, 'beginRecord', recordId, new Blob(['x']), RECORD_CHUNK_BYTES);
      return { recordId, sealed: await result<SealedRecord>(state, 'finishRecord', recordId, patientId, metadata) };
    }

    it('proves a doctor’s binding in the accepted head, and then wraps for that key only', async () => {
      const verified = await result<VerifiedBinding>(state, 'verifyKeyBinding', await log.bindingProof(doctor.id), doctor.id);
      expect(verified).toMatchObject({ userId: doctor.id, role: 'doctor', publicKey: doctor.publicKey, leafIndex: 1, treeSize: 2 });
      expect(verified.fingerprint).toBe(log.leaves[1].fingerprint);
      const { recordId, sealed } = await ownerWrap();
      const records = [{ id: recordId, wrap: sealed.ownerWrap }];
      expect((await call(state, 'wrapForDoctor', patientId, records, doctor)).ok).toBe(true);
      const attacker = await result<CreatedAccount>(newVaultState(FAST), 'createAccount', 'attacker');
      expect(await call(state, 'wrapForDoctor', patientId, records, { id: doctor.id, publicKey: attacker.keys.publicKey })).toMatchObject(refusal('KEY_NOT_VERIFIED'));
    });

    it('wraps for no key that was never proven, at sharing and at an upload’s commit', async () => {
      const { recordId, sealed } = await ownerWrap();
      expect(await call(state, 'wrapForDoctor', patientId, [{ id: recordId, wrap: sealed.ownerWrap }], doctor)).toMatchObject(refusal('KEY_NOT_VERIFIED'));
      const upload = randomUUID();
      await result(state, 'beginRecord', upload, new Blob(['y']), RECORD_CHUNK_BYTES);
      expect(await call(state, 'finishRecord', upload, patientId, metadata, [doctor])).toMatchObject(refusal('KEY_NOT_VERIFIED'));
    });

    it('refuses a binding whose key, fingerprint, role or index was swapped, or whose proof was changed', async () => {
      const attacker = await result<CreatedAccount>(newVaultState(FAST), 'createAccount', 'attacker');
      const proof = await log.bindingProof(doctor.id);
      const lies: KeyBindingProof[] = [
        { ...proof, binding: { ...proof.binding, publicKey: attacker.keys.publicKey, fingerprint: attacker.fingerprint } },
        { ...proof, binding: { ...proof.binding, publicKey: attacker.keys.publicKey } },
        { ...proof, binding: { ...proof.binding, role: 'patient' } },
        { ...proof, binding: { ...proof.binding, leafIndex: 0 } },
        { ...proof, inclusionProof: proof.inclusionProof.map(flipped) },
        { ...proof, inclusionProof: [] },
      ];
      for (const lie of lies) expect(await call(state, 'verifyKeyBinding', lie, doctor.id)).toMatchObject(refusal('KEY_BINDING_INVALID'));
      expect(await call(state, 'verifyKeyBinding', proof, patientId)).toMatchObject(refusal('KEY_BINDING_INVALID'));
      expect(state.verifiedKeys.size).toBe(0);
    });

    it('refuses a binding proven in a head other than the one accepted, even a signed one', async () => {
      log.append(await bindingFor(randomUUID(), 'patient', doctor.publicKey));
      expect(await call(state, 'verifyKeyBinding', await log.bindingProof(doctor.id), doctor.id)).toMatchObject(refusal('KEY_BINDING_INVALID'));
    });

    it('refuses the binding of an erased account (no key), and forgets the key proven before', async () => {
      await result(state, 'verifyKeyBinding', await log.bindingProof(doctor.id), doctor.id);
      log.append({ userId: doctor.id, role: 'doctor', publicKey: null, fingerprint: null, boundAt: new Date().toISOString() });
      await result(state, 'acceptTreeHead', await log.head(), null, [await log.consistency(2)]);
      expect(await call(state, 'verifyKeyBinding', await log.bindingProof(doctor.id), doctor.id)).toMatchObject(refusal('KEY_BINDING_INVALID'));
      const { recordId, sealed } = await ownerWrap();
      expect(await call(state, 'wrapForDoctor', patientId, [{ id: recordId, wrap: sealed.ownerWrap }], doctor)).toMatchObject(refusal('KEY_NOT_VERIFIED'));
    });

    it('forgets proven keys and the accepted head on lock', async () => {
      await result(state, 'verifyKeyBinding', await log.bindingProof(doctor.id), doctor.id);
      await result(state, 'lock');
      expect(state.verifiedKeys.size).toBe(0);
      expect(state.verifiedHead).toBeNull();
    });
  });

  describe('self-monitoring', () => {
    it('sees its own key as the latest binding for its id, and another key when the log binds one later', async () => {
      await result(state, 'acceptTreeHead', await log.head(), null);
      expect(await result<OwnBindingCheck>(state, 'checkOwnBinding', await log.bindingProof(patientId), patientId)).toMatchObject({ isOwnKey: true, leafIndex: 0 });
      const attacker = await result<CreatedAccount>(newVaultState(FAST), 'createAccount', 'attacker');
      log.append(await bindingFor(patientId, 'patient', attacker.keys.publicKey));
      await result(state, 'acceptTreeHead', await log.head(), null, [await log.consistency(2)]);
      const check = await result<OwnBindingCheck>(state, 'checkOwnBinding', await log.bindingProof(patientId), patientId);
      expect(check).toMatchObject({ isOwnKey: false, shownFingerprint: attacker.fingerprint, leafIndex: 2 });
      expect(check.ownFingerprint).toBe(log.leaves[0].fingerprint);
    });

    it('finds a false key bound and replaced again since the kept head, which the latest binding no longer shows', async () => {
      const kept = await result<KeptTreeHead>(state, 'acceptTreeHead', await log.head(), null);
      const attacker = await result<CreatedAccount>(newVaultState(FAST), 'createAccount', 'attacker');
      log.append(await bindingFor(randomUUID(), 'doctor', attacker.keys.publicKey));
      log.append(await bindingFor(patientId, 'patient', attacker.keys.publicKey));
      log.append(await bindingFor(patientId, 'patient', log.leaves[0].publicKey ?? ''));
      await result(state, 'acceptTreeHead', await log.head(), kept, [await log.consistency(kept.treeSize)]);
      expect(await result<OwnBindingCheck>(state, 'checkOwnBinding', await log.bindingProof(patientId), patientId)).toMatchObject({ isOwnKey: true, leafIndex: 4 });
      const since = log.leavesBetween(kept.treeSize, log.size).items;
      const found = await result<OwnBindingCheck | null>(state, 'checkOwnLeavesSince', kept, await log.frontier(kept.treeSize), since, patientId);
      expect(found).toMatchObject({ isOwnKey: false, shownFingerprint: attacker.fingerprint, leafIndex: 3 });
      // Another account's entries, and the account's own key, are no finding.
      expect(await result(state, 'checkOwnLeavesSince', kept, await log.frontier(kept.treeSize), since, doctor.id)).toBeNull();
    });

    it('refuses the entries since the kept head when one is left out, changed, or the frontier is not the kept tree’s', async () => {
      const kept = await result<KeptTreeHead>(state, 'acceptTreeHead', await log.head(), null);
      const attacker = await result<CreatedAccount>(newVaultState(FAST), 'createAccount', 'attacker');
      log.append(await bindingFor(patientId, 'patient', attacker.keys.publicKey));
      log.append(await bindingFor(randomUUID(), 'doctor', attacker.keys.publicKey));
      await result(state, 'acceptTreeHead', await log.head(), kept, [await log.consistency(kept.treeSize)]);
      const frontier = await log.frontier(kept.treeSize);
      const since = log.leavesBetween(kept.treeSize, log.size).items;
      const renumbered = (items: typeof since) => items.map((leaf, i) => ({ ...leaf, leafIndex: kept.treeSize + i }));
      for (const [frontierShown, leavesShown] of [
        [frontier, renumbered(since.slice(1))],
        [frontier, since.map((leaf) => (leaf.userId === patientId ? { ...leaf, publicKey: log.leaves[0].publicKey, fingerprint: log.leaves[0].fingerprint } : leaf))],
        [await log.frontier(1), since],
        [{ ...frontier, hashes: frontier.hashes.map(flipped) }, since],
      ] as const) {
        expect(await call(state, 'checkOwnLeavesSince', kept, frontierShown, leavesShown, patientId)).toMatchObject(refusal('KEY_LOG_INCOMPLETE'));
      }
    });
  });
});
