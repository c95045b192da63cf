/**
 * The key directory's test vectors (docs/test-vectors/key-directory.json):
 * fixed bindings, their leaf bytes and hashes, the root of every tree size,
 * inclusion and consistency proofs, and a signed tree head, all made by the
 * API's own code (backend/src/key-directory). The API suite checks the file
 * against that code and the crypto suite checks it with the portal's verifier;
 * the RFC 6962 reference values in it come from elsewhere (see `rfc6962`).
 *
 * Written once, by hand, when the format changes (the signature is random):
 *   node --import tsx backend/test/support/key-directory-vectors.ts
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyLogLeafJson, treeHeadMessage, type KeyBinding, type SignedTreeHead } from '@phr/shared-types';
import { consistencyProof, inclusionProof, leafHash, nodeKey, nodesCompletedBy, readerOf, rootHash, type NodeReader } from '../../src/key-directory/merkle-tree.js';
import { signTreeHead } from '../../src/key-directory/tree-head.js';

export const VECTORS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/test-vectors/key-directory.json');

export interface KeyDirectoryVectors {
  description: string;
  logKey: { note: string; privateKeyPkcs8: string; publicKeySpki: string; keyId: string };
  leaves: Array<{ leafIndex: number; binding: KeyBinding; leafJson: string; leafHash: string }>;
  roots: Array<{ treeSize: number; rootHash: string }>;
  inclusionProofs: Array<{ leafIndex: number; treeSize: number; proof: string[] }>;
  consistencyProofs: Array<{ from: number; to: number; proof: string[] }>;
  signedTreeHead: { message: string; head: SignedTreeHead };
  rfc6962: {
    source: string;
    leaves: string[];
    emptyRoot: string;
    roots: Array<{ treeSize: number; rootHash: string }>;
    inclusionProofs: Array<{ leafIndex: number; treeSize: number; proof: string[] }>;
    consistencyProofs: Array<{ from: number; to: number; proof: string[] }>;
  };
}

/** A stand-in for an SPKI: the log treats the key as opaque bytes, so short labels keep the vectors readable. */
function placeholderKey(label: string): { publicKey: string; fingerprint: string } {
  const bytes = Buffer.from(label, 'utf8');
  return { publicKey: bytes.toString('base64url'), fingerprint: createHash('sha256').update(bytes).digest('hex') };
}

/** Registrations, a key rotation, an erasure: every kind of binding. */
export const VECTOR_BINDINGS: KeyBinding[] = [
  { userId: '0b7e2c1a-5d3f-4a8e-9b6c-1f2e3d4c5b6a', role: 'patient', ...placeholderKey('SPKI of patient Ada, key 1'), boundAt: '2026-01-15T09:00:00.000Z' },
  { userId: '6f1c2d4e-8a3b-4c5d-9e7f-0a1b2c3d4e5f', role: 'doctor', ...placeholderKey('SPKI of doctor Grace'), boundAt: '2026-01-15T09:05:12.345Z' },
  { userId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', role: 'auditor', ...placeholderKey('SPKI of auditor Alan'), boundAt: '2026-01-15T10:00:00.001Z' },
  { userId: '0b7e2c1a-5d3f-4a8e-9b6c-1f2e3d4c5b6a', role: 'patient', ...placeholderKey('SPKI of patient Ada, key 2'), boundAt: '2026-02-01T08:30:00.000Z' },
  { userId: 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f', role: 'patient', ...placeholderKey('SPKI of patient Edsger'), boundAt: '2026-02-02T12:00:00.999Z' },
  { userId: '6f1c2d4e-8a3b-4c5d-9e7f-0a1b2c3d4e5f', role: 'doctor', publicKey: null, fingerprint: null, boundAt: '2026-03-01T00:00:00.000Z' },
  { userId: 'd4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f7a', role: 'doctor', ...placeholderKey('SPKI of doctor Barbara'), boundAt: '2026-03-04T17:45:30.250Z' },
];

export const VECTOR_INCLUSION: ReadonlyArray<readonly [number, number]> = [[0, 1], [0, 7], [3, 7], [5, 7], [6, 7], [4, 5], [2, 3], [1, 2]];
export const VECTOR_CONSISTENCY: ReadonlyArray<readonly [number, number]> = [[0, 7], [1, 7], [2, 7], [3, 7], [4, 7], [6, 7], [7, 7], [2, 5], [1, 2]];
export const VECTOR_HEAD_ISSUED_AT = '2026-03-04T17:45:30.250Z';

/**
 * RFC 6962 (whose hashing RFC 9162 keeps) reference data from transparency-dev/merkle,
 * proof/verify_test.go (Apache-2.0): the leaves and root of every size 1..8, and proofs.
 * Their inclusion vectors number leaves from 1; here they are indices from 0.
 */
export const RFC6962_REFERENCE: KeyDirectoryVectors['rfc6962'] = {
  source: 'https://github.com/transparency-dev/merkle/blob/main/proof/verify_test.go (hex; inclusion leaf numbers there start at 1, here at 0)',
  leaves: ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'],
  emptyRoot: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  roots: [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ].map((rootHash, i) => ({ treeSize: i + 1, rootHash })),
  inclusionProofs: [
    {
      leafIndex: 0,
      treeSize: 8,
      proof: [
        '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
      ],
    },
    {
      leafIndex: 5,
      treeSize: 8,
      proof: [
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
        'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    },
    { leafIndex: 2, treeSize: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
    {
      leafIndex: 1,
      treeSize: 5,
      proof: [
        '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      ],
    },
  ],
  consistencyProofs: [
    {
      from: 1,
      to: 8,
      proof: [
        '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
      ],
    },
    {
      from: 6,
      to: 8,
      proof: [
        '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
        'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    },
    { from: 2, to: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
    {
      from: 6,
      to: 7,
      proof: [
        '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
        'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    },
  ],
};

/** An in-memory log built with the API's append: complete-subtree hashes, as the database keeps them. */
export class MemoryLog {
  private readonly nodes = new Map<string, Buffer>();
  readonly read: NodeReader = readerOf(this.nodes);
  size = 0;

  append(leafBytes: Uint8Array): void {
    for (const node of nodesCompletedBy(this.size, leafHash(leafBytes), this.read)) this.nodes.set(nodeKey(node.level, node.index), node.hash);
    this.size += 1;
  }
}

/** Everything but the signature follows from the bindings; the signature is checked, not compared. */
export function buildVectors(privateKeyPkcs8: string, signature?: string): KeyDirectoryVectors {
  const privateKey = createPrivateKey({ key: Buffer.from(privateKeyPkcs8, 'base64url'), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const keyId = createHash('sha256').update(spki).digest('hex');
  const log = new MemoryLog();
  const leaves = VECTOR_BINDINGS.map((binding, leafIndex) => {
    const leafJson = keyLogLeafJson(binding);
    log.append(Buffer.from(leafJson, 'utf8'));
    return { leafIndex, binding, leafJson, leafHash: leafHash(Buffer.from(leafJson, 'utf8')).toString('base64url') };
  });
  const b64 = (hashes: Buffer[]) => hashes.map((hash) => hash.toString('base64url'));
  const size = VECTOR_BINDINGS.length;
  const head = signTreeHead(privateKey, keyId, size, rootHash(size, log.read), new Date(VECTOR_HEAD_ISSUED_AT));
  return {
    description:
      'Key directory (docs/protocol.md "Key directory"): leaf bytes are the UTF-8 of leafJson; hashes are RFC 9162 §2.1 (leaf SHA-256(0x00||leaf), node SHA-256(0x01||left||right)), base64url without padding. The public keys here are placeholder bytes (the log treats them as opaque). Checked by backend/test/key-directory-vectors.spec.ts and frontend/src/crypto/key-directory.spec.ts.',
    logKey: { note: 'A test key, published here: never sign a real log with it.', privateKeyPkcs8, publicKeySpki: spki.toString('base64url'), keyId },
    leaves,
    roots: Array.from({ length: size + 1 }, (_, treeSize) => ({ treeSize, rootHash: rootHash(treeSize, log.read).toString('base64url') })),
    inclusionProofs: VECTOR_INCLUSION.map(([leafIndex, treeSize]) => ({ leafIndex, treeSize, proof: b64(inclusionProof(leafIndex, treeSize, log.read)) })),
    consistencyProofs: VECTOR_CONSISTENCY.map(([from, to]) => ({ from, to, proof: b64(consistencyProof(from, to, log.read)) })),
    signedTreeHead: { message: treeHeadMessage(head), head: signature ? { ...head, signature } : head },
    rfc6962: RFC6962_REFERENCE,
  };
}

const isEntryPoint = import.meta.url === `file://${process.argv[1]}`;
if (isEntryPoint) {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64url');
  await writeFile(VECTORS_FILE, `${JSON.stringify(buildVectors(key), null, 2)}\n`);
  console.log(`Wrote ${VECTORS_FILE}`);
}
