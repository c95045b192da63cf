import { describe, expect, it } from '@jest/globals';
import jsQR from 'jsqr';
import { qrModules } from './QrCode.js';

/** Pixels per module when the path is drawn, as a phone's camera would see a small code. */
const SCALE = 4;

/** Draws the path's unit squares (the only shape qrModules writes) as black on white RGBA pixels. */
function rasterize(size: number, path: string): { pixels: Uint8ClampedArray; width: number } {
  const width = size * SCALE;
  const pixels = new Uint8ClampedArray(width * width * 4).fill(255);
  const squares = [...path.matchAll(/M(\d+) (\d+)h1v1h-1z/g)];
  expect(squares.map((square) => square[0]).join('')).toBe(path);
  for (const [, x, y] of squares) {
    for (let dy = 0; dy < SCALE; dy++) {
      for (let dx = 0; dx < SCALE; dx++) {
        const offset = ((Number(y) * SCALE + dy) * width + Number(x) * SCALE + dx) * 4;
        pixels.fill(0, offset, offset + 3);
      }
    }
  }
  return { pixels, width };
}

describe('QR code of the authenticator key (frontend/src/ui/QrCode.tsx)', () => {
  it.each([
    ['an otpauth link as the API sends it', 'otpauth://totp/Patient%20Records:dr.grey%40example.org?issuer=Patient%20Records&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30'],
    ['a long label of accented letters', `otpauth://totp/${encodeURIComponent('Zürich Université: ' + 'é'.repeat(120))}?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP`],
  ])('scans back to the same text: %s', (_case, text) => {
    const { size, path } = qrModules(text);
    const { pixels, width } = rasterize(size, path);
    expect(jsQR(pixels, width, width)?.data).toBe(text);
  });

  it('leaves a quiet zone of four light modules on every side', () => {
    const { size, path } = qrModules('otpauth://totp/a?secret=JBSWY3DPEHPK3PXP');
    const darks = [...path.matchAll(/M(\d+) (\d+)/g)].map(([, x, y]) => [Number(x), Number(y)]);
    expect(Math.min(...darks.flat())).toBe(4);
    expect(Math.max(...darks.flat())).toBe(size - 5);
  });
});
