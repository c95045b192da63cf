import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { EncodingError, fromBase64Url, toBase64Url, utf8 } from './encoding.js';

describe('base64url', () => {
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('encodes the RFC 4648 vector %j as %j, without padding', (text, encoded) => {
    expect(toBase64Url(utf8(text))).toBe(encoded);
    expect(new TextDecoder().decode(fromBase64Url(encoded))).toBe(text);
  });

  it('uses - and _ instead of + and /', () => {
    expect(toBase64Url(Uint8Array.of(0xfb, 0xff, 0xbf))).toBe('-_-_');
  });

  it('round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    }));
  });

  it.each(['Zm9v=', 'Zm+v', 'Zm/v', 'Z', 'Zh', 'a b'])('refuses %j (padding, foreign alphabet, impossible length or stray bits)', (text) => {
    expect(() => fromBase64Url(text)).toThrow(EncodingError);
  });
});
