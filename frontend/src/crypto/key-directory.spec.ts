import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { KeyBindingProof, KeyLogFrontier, LoggedKeyBinding, SignedTreeHead } from '@phr/shared-types';
import { consistencyProof, frontierHashes, inclusionProof, rootHash } from '../../../backend/src/key-directory/merkle-tree.js';
import { signTreeHead } from '../../../backend/src/key-directory/tree-head.js';
import { MemoryLog, VECTORS_FILE, type KeyDirectoryVectors } from '@phr/backend/test-support/key-directory-vectors.js';
import { fromBase64Url, toBase64Url, toHex } from './encoding.js';
import { importLogKey, leafBytes, leafHash, verifyBindingProof, verifyConsistency, verifyInclusion, verifyLeafRange, verifyTreeHead, type TreeRoot } from './key-directory.js';

/**
 * The portal's verifier against the API's own implementation (DESIGN 4.5):
 * whatever tree the API builds, its proofs verify here, and any change to a
 * hash, an index or a size makes them fail. The fixed vectors pin the bytes
 * (docs/test-vectors/key-directory.json).
 */

const vectors = JSON.parse(readFileSync(VECTORS_FILE, 'utf8')) as KeyDirectoryVectors;

const b64 = (hashes: Buffer[]) => hashes.map((hash) => hash.toString('base64url'));
const hexToB64 = (hex: string) => toBase64Url(Uint8Array.from(Buffer.from(hex, 'hex')));

function logOf(leaves: Uint8Array[]): MemoryLog {
  const log = new MemoryLog();
  for (const leaf of leaves) log.append(leaf);
  return log;
}

function rootOf(log: MemoryLog, treeSize: number): TreeRoot {
  return { treeSize, rootHash: rootHash(treeSize, log.read).toString('base64url') };
}

/** The same proof with one bit of one hash flipped. */
function flipped(proof: string[], at: number, bit = 3): string[] {
  return proof.map((hash, i) => {
    if (i !== at) return hash;
    const bytes = fromBase64Url(hash);
    bytes[0] ^= 1 << bit;
    return toBase64Url(bytes);
  });
}

const leafArbitrary = fc.uint8Array({ minLength: 0, maxLength: 24 });
/** Distinct leaves: with two equal leaves, the proof of one is the proof of the other. */
const treeArbitrary = (minLength: number) => fc.uniqueArray(leafArbitrary, { minLength, maxLength: 140, selector: (leaf) => toHex(leaf) });

describe('the key directory’s proofs, made by the API, checked by the portal (RFC 9162)', () => {
  it('verifies the inclusion proof of any leaf in a tree of any size', async () => {
    await fc.assert(
      fc.asyncProperty(treeArbitrary(1), fc.nat(), async (leaves, pick) => {
        const log = logOf(leaves);
        const index = pick % leaves.length;
        const proof = b64(inclusionProof(index, leaves.length, log.read));
        expect(await verifyInclusion(leaves[index], index, proof, rootOf(log, leaves.length))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses an inclusion proof with any hash, index, leaf, size or length changed', async () => {
    await fc.assert(
      fc.asyncProperty(treeArbitrary(2), fc.nat(), fc.nat(), async (leaves, pickIndex, pickOther) => {
        const log = logOf(leaves);
        const size = leaves.length;
        const index = pickIndex % size;
        const proof = b64(inclusionProof(index, size, log.read));
        const root = rootOf(log, size);
        const otherSize = index + 1 + (pickOther % (size - index));
        const probes: Array<[string, Promise<boolean>]> = [
          ...proof.map((_, at): [string, Promise<boolean>] => [`proof[${at}] flipped`, verifyInclusion(leaves[index], index, flipped(proof, at), root)]),
          ...[index - 1, index + 1, index ^ 2, index ^ 1]
            .filter((other) => other >= 0 && other < size && other !== index)
            .map((other): [string, Promise<boolean>] => [`index ${other}`, verifyInclusion(leaves[index], other, proof, root)]),
          ['another leaf', verifyInclusion(leaves[(index + 1) % size], index, proof, root)],
          ['the leaf with a byte more', verifyInclusion(Uint8Array.from([...leaves[index], 0]), index, proof, root)],
          ['a hash appended', verifyInclusion(leaves[index], index, [...proof, root.rootHash], root)],
          ['a hash prepended', verifyInclusion(leaves[index], index, [root.rootHash, ...proof], root)],
          ['the last hash removed', verifyInclusion(leaves[index], index, proof.slice(0, -1), root)],
          ['the tree size doubled', verifyInclusion(leaves[index], index, proof, { ...root, treeSize: size * 2 })],
          ['half the tree size', verifyInclusion(leaves[index], index, proof, { ...root, treeSize: Math.floor(size / 2) })],
        ];
        if (otherSize !== size) probes.push([`the root of size ${otherSize}`, verifyInclusion(leaves[index], index, proof, rootOf(log, otherSize))]);
        for (const [what, verdict] of probes) expect({ what, verified: await verdict }).toEqual({ what, verified: false });
      }),
      { numRuns: 60 },
    );
  });

  it('verifies the consistency proof between any two sizes of one log', async () => {
    await fc.assert(
      fc.asyncProperty(treeArbitrary(1), fc.nat(), fc.nat(), async (leaves, a, b) => {
        const log = logOf(leaves);
        const to = 1 + (a % leaves.length);
        const from = b % (to + 1);
        const proof = b64(consistencyProof(from, to, log.read));
        expect(await verifyConsistency(rootOf(log, from), rootOf(log, to), proof)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a consistency proof with any hash, size, root or length changed', async () => {
    await fc.assert(
      fc.asyncProperty(treeArbitrary(3), fc.nat(), fc.nat(), async (leaves, a, b) => {
        const log = logOf(leaves);
        // 0 < from < to < log size: a non-trivial proof, with room for the sizes around it.
        const to = 2 + (a % (leaves.length - 2));
        const from = 1 + (b % (to - 1));
        const proof = b64(consistencyProof(from, to, log.read));
        const older = rootOf(log, from);
        const newer = rootOf(log, to);
        const probes: Array<[string, Promise<boolean>]> = [
          ...proof.map((_, at): [string, Promise<boolean>] => [`proof[${at}] flipped`, verifyConsistency(older, newer, flipped(proof, at, 4))]),
          ['an empty proof', verifyConsistency(older, newer, [])],
          ['the last hash removed', verifyConsistency(older, newer, proof.slice(0, -1))],
          ['a hash appended', verifyConsistency(older, newer, [...proof, newer.rootHash])],
          ['the old root prepended', verifyConsistency(older, newer, [older.rootHash, ...proof])],
          ['the first hash repeated', verifyConsistency(older, newer, [proof[0], ...proof])],
          ['the roots swapped', verifyConsistency({ ...older, rootHash: newer.rootHash }, { ...newer, rootHash: older.rootHash }, proof)],
          ['another old root', verifyConsistency({ ...older, rootHash: rootOf(log, to + 1).rootHash }, newer, proof)],
          ['another new root', verifyConsistency(older, { ...newer, rootHash: rootOf(log, to + 1).rootHash }, proof)],
          ['the new tree one larger', verifyConsistency(older, rootOf(log, to + 1), proof)],
          ['the new size doubled', verifyConsistency(older, { ...newer, treeSize: to * 2 }, proof)],
          ['the old tree one larger', verifyConsistency(rootOf(log, from + 1), newer, proof)],
          // eslint-disable-next-line sonarjs/arguments-order -- swapped on purpose: the proof must fail for trees given in the wrong order
          ['a newer tree older than the old one', verifyConsistency(newer, older, proof)],
        ];
        if (from > 1) probes.push(['the old tree one smaller', verifyConsistency(rootOf(log, from - 1), newer, proof)]);
        for (const [what, verdict] of probes) expect({ what, verified: await verdict }).toEqual({ what, verified: false });
      }),
      { numRuns: 60 },
    );
  });

  it('takes the empty tree and an unchanged tree only with an empty proof and the right roots', async () => {
    const log = logOf([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
    expect(await verifyConsistency(rootOf(log, 0), rootOf(log, 3), [])).toBe(true);
    expect(await verifyConsistency(rootOf(log, 3), rootOf(log, 3), [])).toBe(true);
    expect(await verifyConsistency(rootOf(log, 0), rootOf(log, 3), [rootOf(log, 3).rootHash])).toBe(false);
    expect(await verifyConsistency(rootOf(log, 3), { ...rootOf(log, 3), rootHash: rootOf(log, 2).rootHash }, [])).toBe(false);
    expect(await verifyConsistency({ treeSize: 0, rootHash: rootOf(log, 1).rootHash }, rootOf(log, 3), [])).toBe(false);
  });
});

/** Bindings as the log holds them, distinct by their key bytes. */
const bindingsArbitrary = (minLength: number) =>
  fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 12 }), { minLength, maxLength: 140, selector: (bytes) => toHex(bytes) }).map((keys) =>
    keys.map(
      (key, leafIndex): LoggedKeyBinding => ({
        userId: `0000000${leafIndex % 7}-0000-4000-8000-000000000000`,
        role: leafIndex % 2 === 0 ? 'patient' : 'doctor',
        publicKey: toBase64Url(key),
        fingerprint: toHex(key),
        boundAt: new Date(Date.UTC(2026, 0, 1) + leafIndex).toISOString(),
        leafIndex,
      }),
    ),
  );

function logOfBindings(bindings: LoggedKeyBinding[]): MemoryLog {
  return logOf(bindings.map((binding) => leafBytes(binding)));
}

const frontierOf = (log: MemoryLog, treeSize: number): KeyLogFrontier => ({ treeSize, hashes: b64(frontierHashes(treeSize, log.read)) });

describe('the leaves since a kept head, checked complete against two roots (self-monitoring)', () => {
  it('takes every range [m, n) of any log, with the frontier of m', async () => {
    await fc.assert(
      fc.asyncProperty(bindingsArbitrary(1), fc.nat(), fc.nat(), async (bindings, a, b) => {
        const log = logOfBindings(bindings);
        const to = 1 + (a % bindings.length);
        const from = b % (to + 1);
        expect(await verifyLeafRange(rootOf(log, from), rootOf(log, to), frontierOf(log, from), bindings.slice(from, to))).toBe(true);
      }),
      { numRuns: 80 },
    );
  });

  it('refuses the range with a leaf left out, added, changed, moved or renumbered, or another frontier or root', async () => {
    await fc.assert(
      fc.asyncProperty(bindingsArbitrary(3), fc.nat(), fc.nat(), fc.nat(), async (bindings, a, b, c) => {
        const log = logOfBindings(bindings);
        // 0 ≤ from < to < size: at least one leaf in the range, and one more in the log.
        const to = 1 + (a % (bindings.length - 1));
        const from = b % to;
        const leaves = bindings.slice(from, to);
        const at = c % leaves.length;
        const older = rootOf(log, from);
        const newer = rootOf(log, to);
        const frontier = frontierOf(log, from);
        const changed = leaves.map((leaf, i) => (i === at ? { ...leaf, publicKey: `${leaf.publicKey ?? ''}A` } : leaf));
        const renumbered = (list: LoggedKeyBinding[]) => list.map((leaf, i) => ({ ...leaf, leafIndex: from + i }));
        const probes: Array<[string, Promise<boolean>]> = [
          ['a leaf left out', verifyLeafRange(older, newer, frontier, renumbered(leaves.filter((_, i) => i !== at)))],
          ['a leaf left out, the size kept', verifyLeafRange(older, newer, frontier, renumbered([...leaves.filter((_, i) => i !== at), bindings[to]]))],
          ['a leaf added', verifyLeafRange(older, newer, frontier, renumbered([...leaves, bindings[to]]))],
          ['a leaf changed', verifyLeafRange(older, newer, frontier, changed)],
          ['a leaf numbered wrong', verifyLeafRange(older, newer, frontier, leaves.map((leaf, i) => (i === at ? { ...leaf, leafIndex: leaf.leafIndex + 1 } : leaf)))],
          ['the range one later', verifyLeafRange(older, rootOf(log, to + 1), frontier, renumbered(bindings.slice(from + 1, to + 1)))],
          ['the newer root of the next size', verifyLeafRange(older, { ...newer, rootHash: rootOf(log, to + 1).rootHash }, frontier, leaves)],
          ['the frontier of the next size', verifyLeafRange(older, newer, { ...frontierOf(log, from + 1), treeSize: from }, leaves)],
          ['a frontier hash added', verifyLeafRange(older, newer, { ...frontier, hashes: [...frontier.hashes, newer.rootHash] }, leaves)],
        ];
        if (leaves.length >= 2) {
          const swapped = [...leaves];
          const next = (at + 1) % leaves.length;
          [swapped[at], swapped[next]] = [swapped[next], swapped[at]];
          probes.push(['two leaves swapped', verifyLeafRange(older, newer, frontier, renumbered(swapped))]);
        }
        if (frontier.hashes.length > 0) {
          probes.push(['a frontier hash flipped', verifyLeafRange(older, newer, { ...frontier, hashes: flipped(frontier.hashes, c % frontier.hashes.length) }, leaves)]);
          probes.push(['a frontier hash removed', verifyLeafRange(older, newer, { ...frontier, hashes: frontier.hashes.slice(1) }, leaves)]);
        }
        for (const [what, verdict] of probes) expect({ what, verified: await verdict }).toEqual({ what, verified: false });
      }),
      { numRuns: 60 },
    );
  });
});

describe('signed tree heads: the API signs, the portal verifies with the log key it was built with', () => {
  const newLogKey = () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }).toString('base64url') };
  };
  const logKey = newLogKey();

  async function headOf(signingKey: KeyObject, spki: string, treeSize: number, root: Uint8Array, issuedAt: Date): Promise<SignedTreeHead> {
    return signTreeHead(signingKey, (await importLogKey(spki)).keyId, treeSize, Buffer.from(root), issuedAt);
  }

  it('accepts every head the API signs, and refuses it with its size, root, time, key id or signature changed', async () => {
    const key = await importLogKey(logKey.spki);
    const otherKey = newLogKey();
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 2 ** 40 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        async (treeSize, root, issuedAt) => {
          const head = await headOf(logKey.privateKey, logKey.spki, treeSize, root, issuedAt);
          expect(await verifyTreeHead(head, key)).toBe(true);
          expect(await verifyTreeHead(head, logKey.spki)).toBe(true);
          const otherRoot = Uint8Array.from(root);
          otherRoot[31] ^= 1;
          const forged = await headOf(otherKey.privateKey, otherKey.spki, treeSize, root, issuedAt);
          const probes: Array<[string, SignedTreeHead, string]> = [
            ['size + 1', { ...head, treeSize: treeSize + 1 }, logKey.spki],
            ['another root', { ...head, rootHash: toBase64Url(otherRoot) }, logKey.spki],
            ['a millisecond later', { ...head, issuedAt: new Date(issuedAt.getTime() + 1).toISOString() }, logKey.spki],
            ['another key id', { ...head, keyId: '0'.repeat(64) }, logKey.spki],
            ['a signature bit flipped', { ...head, signature: flipped([head.signature], 0, 0)[0] }, logKey.spki],
            ['signed by another key, naming it', forged, logKey.spki],
            ['signed by another key, naming ours', { ...forged, keyId: head.keyId }, logKey.spki],
            ['checked with another key', head, otherKey.spki],
          ];
          for (const [what, probe, spki] of probes) expect({ what, verified: await verifyTreeHead(probe, spki) }).toEqual({ what, verified: false });
        },
      ),
      { numRuns: 30 },
    );
  });

  it('refuses malformed heads without throwing', async () => {
    const head = await headOf(logKey.privateKey, logKey.spki, 3, new Uint8Array(32), new Date());
    for (const probe of [
      { ...head, treeSize: -1 },
      { ...head, treeSize: 1.5 },
      { ...head, rootHash: 'not base64url!' },
      { ...head, rootHash: toBase64Url(new Uint8Array(31)) },
      { ...head, signature: '' },
      { ...head, signature: head.signature.slice(0, -2) },
    ]) {
      expect(await verifyTreeHead(probe, logKey.spki)).toBe(false);
    }
    expect(await verifyTreeHead(head, 'not a key')).toBe(false);
  });
});

describe('the fixed vectors (docs/test-vectors/key-directory.json), checked with the portal’s code', () => {
  const rootOfSize = (treeSize: number): TreeRoot => {
    const root = vectors.roots.find((entry) => entry.treeSize === treeSize);
    if (!root) throw new Error(`no root of size ${treeSize} in the vectors`);
    return root;
  };

  it('builds each leaf’s bytes and hash as written', async () => {
    for (const leaf of vectors.leaves) {
      expect(new TextDecoder().decode(leafBytes(leaf.binding))).toBe(leaf.leafJson);
      expect(toBase64Url(await leafHash(leafBytes(leaf.binding)))).toBe(leaf.leafHash);
    }
  });

  it('verifies every inclusion and consistency proof against the roots', async () => {
    for (const { leafIndex, treeSize, proof } of vectors.inclusionProofs) {
      expect({ leafIndex, treeSize, verified: await verifyInclusion(vectors.leaves[leafIndex].binding, leafIndex, proof, rootOfSize(treeSize)) }).toEqual({
        leafIndex,
        treeSize,
        verified: true,
      });
    }
    for (const { from, to, proof } of vectors.consistencyProofs) {
      expect({ from, to, verified: await verifyConsistency(rootOfSize(from), rootOfSize(to), proof) }).toEqual({ from, to, verified: true });
    }
  });

  it('verifies the signed head with the published log key, over the message written', async () => {
    const { head, message } = vectors.signedTreeHead;
    expect(`phr/v1/key-log-sth\n${head.treeSize}\n${head.rootHash}\n${head.issuedAt}`).toBe(message);
    expect(head.rootHash).toBe(rootOfSize(head.treeSize).rootHash);
    expect((await importLogKey(vectors.logKey.publicKeySpki)).keyId).toBe(vectors.logKey.keyId);
    expect(await verifyTreeHead(head, vectors.logKey.publicKeySpki)).toBe(true);
  });

  it('checks a binding answer as GET /key-directory/bindings/:id gives it', async () => {
    const leafIndex = 3;
    const answer: KeyBindingProof = {
      binding: { ...vectors.leaves[leafIndex].binding, leafIndex },
      treeHead: vectors.signedTreeHead.head,
      inclusionProof: vectors.inclusionProofs.find((entry) => entry.leafIndex === leafIndex && entry.treeSize === 7)?.proof ?? [],
    };
    const userId = answer.binding.userId;
    expect(await verifyBindingProof(answer, userId.toUpperCase(), vectors.logKey.publicKeySpki)).toBe(true);
    expect(await verifyBindingProof(answer, vectors.leaves[1].binding.userId, vectors.logKey.publicKeySpki)).toBe(false);
    expect(await verifyBindingProof({ ...answer, binding: { ...answer.binding, publicKey: vectors.leaves[0].binding.publicKey } }, userId, vectors.logKey.publicKeySpki)).toBe(false);
    expect(await verifyBindingProof({ ...answer, binding: { ...answer.binding, leafIndex: 0 } }, userId, vectors.logKey.publicKeySpki)).toBe(false);
    expect(await verifyBindingProof({ ...answer, treeHead: { ...answer.treeHead, treeSize: 8 } }, userId, vectors.logKey.publicKeySpki)).toBe(false);
  });

  it('agrees with the RFC 6962 reference values of transparency-dev/merkle', async () => {
    const { rfc6962 } = vectors;
    const leaves = rfc6962.leaves.map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')));
    const roots = new Map(rfc6962.roots.map((root) => [root.treeSize, { treeSize: root.treeSize, rootHash: hexToB64(root.rootHash) }]));
    roots.set(0, { treeSize: 0, rootHash: hexToB64(rfc6962.emptyRoot) });
    const rootAt = (size: number) => roots.get(size) as TreeRoot;
    expect(toHex(await leafHash(leaves[0]))).toBe(rfc6962.roots[0].rootHash);
    for (const { leafIndex, treeSize, proof } of rfc6962.inclusionProofs) {
      expect({ leafIndex, treeSize, verified: await verifyInclusion(leaves[leafIndex], leafIndex, proof.map(hexToB64), rootAt(treeSize)) }).toEqual({
        leafIndex,
        treeSize,
        verified: true,
      });
    }
    for (const { from, to, proof } of rfc6962.consistencyProofs) {
      expect({ from, to, verified: await verifyConsistency(rootAt(from), rootAt(to), proof.map(hexToB64)) }).toEqual({ from, to, verified: true });
    }
    expect(await verifyConsistency(rootAt(0), rootAt(8), [])).toBe(true);
  });
});
