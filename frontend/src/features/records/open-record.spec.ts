import { describe, expect, it } from '@jest/globals';
import { isPreviewable } from './open-record.js';

// ASVS 5.2.7: a patient's file is shown in the page only as a raster image or a PDF; markup that can carry script is only downloaded.
describe('which decrypted records the portal shows itself', () => {
  it.each(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'application/pdf'])('previews %s', (mimeType) => {
    expect(isPreviewable(mimeType)).toBe(true);
  });

  it.each([
    'image/svg+xml',
    'image/svg',
    'text/html',
    'application/xhtml+xml',
    'application/xml',
    'text/xml',
    'text/javascript',
    'application/javascript',
    'image/png+xml',
    'image/png; svg',
    'text/html; charset=utf-8',
    'image/svg+xml; charset=utf-8',
    'application/pdf+xml',
    'application/octet-stream',
    '',
  ])('offers %p only as a download', (mimeType) => {
    expect(isPreviewable(mimeType)).toBe(false);
  });
});
