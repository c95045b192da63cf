import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import type { ConsistencyProof, KeyBinding, SignedTreeHead } from '@phr/shared-types';
import { TestKeyLog } from './key-log.js';

interface Vectors {
  logKey: { privateKeyPkcs8: string; publicKeySpki: string; keyId: string };
  leaves: Array<{ binding: KeyBinding }>;
  roots: Array<{ treeSize: number; rootHash: string }>;
  consistencyProofs: ConsistencyProof[];
  signedTreeHead: SignedTreeHead;
}

/** The lying-server harness forges logs with this class: it must build them exactly as docs/protocol.md says (its vectors). */
describe('the test key log agrees with the key-directory test vectors', () => {
  it('makes the same roots, consistency proofs and key id', async () => {
    const vectors = JSON.parse(await readFile(new URL('../../../../docs/test-vectors/key-directory.json', import.meta.url), 'utf8')) as Vectors;
    const log = await TestKeyLog.fromSigningKey(vectors.logKey.privateKeyPkcs8, vectors.logKey.publicKeySpki);
    for (const leaf of vectors.leaves) log.append(leaf.binding);
    expect(log.keyId).toBe(vectors.logKey.keyId);
    for (const root of vectors.roots) expect(await log.rootHash(root.treeSize)).toBe(root.rootHash);
    for (const proof of vectors.consistencyProofs) expect(await log.consistency(proof.from, proof.to)).toEqual(proof);
  });
});
