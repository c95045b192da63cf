import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { treeHeadMessage } from '@phr/shared-types';
import { consistencyProof, EMPTY_TREE_ROOT, inclusionProof, leafHash, rootHash } from '../src/key-directory/merkle-tree.js';
import { buildVectors, MemoryLog, VECTORS_FILE, type KeyDirectoryVectors } from './support/key-directory-vectors.js';

/**
 * The key directory's fixed vectors (docs/test-vectors/key-directory.json)
 * against the API's own code: the file is what the API makes. The portal's
 * verifier checks the same file (frontend/src/crypto/key-directory.spec.ts).
 */
describe('the key directory’s test vectors match the API’s implementation', () => {
  const vectors = JSON.parse(readFileSync(VECTORS_FILE, 'utf8')) as KeyDirectoryVectors;

  it('holds exactly what the API computes from the bindings: leaf bytes, leaf hashes, roots, proofs, the head but its signature', () => {
    const expected = buildVectors(vectors.logKey.privateKeyPkcs8, vectors.signedTreeHead.head.signature);
    expect(vectors).toEqual(expected);
  });

  it('carries a head signed by the published log key (ECDSA P-256, SHA-256, r||s)', () => {
    const { head, message } = vectors.signedTreeHead;
    expect(message).toBe(treeHeadMessage(head));
    const spki = Buffer.from(vectors.logKey.publicKeySpki, 'base64url');
    expect(createHash('sha256').update(spki).digest('hex')).toBe(head.keyId);
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(verify('sha256', Buffer.from(message, 'utf8'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(head.signature, 'base64url'))).toBe(true);
  });

  it('agrees with the RFC 6962 reference roots and proofs of transparency-dev/merkle', () => {
    const { rfc6962 } = vectors;
    const log = new MemoryLog();
    for (const leaf of rfc6962.leaves) log.append(Buffer.from(leaf, 'hex'));
    const hex = (hashes: Buffer[]) => hashes.map((hash) => hash.toString('hex'));
    expect(EMPTY_TREE_ROOT.toString('hex')).toBe(rfc6962.emptyRoot);
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(rfc6962.roots[0].rootHash);
    for (const { treeSize, rootHash: expected } of rfc6962.roots) expect({ treeSize, root: rootHash(treeSize, log.read).toString('hex') }).toEqual({ treeSize, root: expected });
    for (const { leafIndex, treeSize, proof } of rfc6962.inclusionProofs) expect(hex(inclusionProof(leafIndex, treeSize, log.read))).toEqual(proof);
    for (const { from, to, proof } of rfc6962.consistencyProofs) expect(hex(consistencyProof(from, to, log.read))).toEqual(proof);
  });
});
