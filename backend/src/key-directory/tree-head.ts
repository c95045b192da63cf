import { sign, type KeyObject } from 'node:crypto';
import { treeHeadMessage, type SignedTreeHead } from '@phr/shared-types';

/**
 * A signed tree head (docs/protocol.md "Key directory"): ECDSA P-256 with
 * SHA-256 over the UTF-8 of treeHeadMessage, the signature as IEEE P1363
 * r||s, the form WebCrypto verifies.
 */
export function signTreeHead(signingKey: KeyObject, keyId: string, treeSize: number, rootHash: Buffer, issuedAt: Date): SignedTreeHead {
  const unsigned = { treeSize, rootHash: rootHash.toString('base64url'), issuedAt: issuedAt.toISOString() };
  const signature = sign('sha256', Buffer.from(treeHeadMessage(unsigned), 'utf8'), { key: signingKey, dsaEncoding: 'ieee-p1363' });
  return { ...unsigned, signature: signature.toString('base64url'), keyId };
}
