/** DESIGN 4.5: key fingerprints both sides can compare, like safety numbers. */
import { toHex } from './encoding.js';

/** Lowercase hex SHA-256 of the SPKI bytes; the server computes the same. */
export async function fingerprintHex(spki: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', spki)));
}

/** 8 groups of 5 digits: group i is bytes 4i..4i+3 (big-endian) modulo 100 000. */
export function formatFingerprint(hex: string): string {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('A fingerprint is 64 lowercase hex digits');
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) {
    const word = Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16);
    groups.push(String(word % 100_000).padStart(5, '0'));
  }
  return groups.join(' ');
}
