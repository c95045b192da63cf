import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RECOVERY_CODE_BYTES } from '@phr/shared-types';
import { formatRecoveryCode, newRecoveryCode, parseRecoveryCode } from './recovery-code.js';

describe('recovery codes', () => {
  it('are 20 random bytes shown as 32 Crockford base32 characters in groups of four', () => {
    const { code, bytes } = newRecoveryCode();
    expect(bytes).toHaveLength(RECOVERY_CODE_BYTES);
    expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$/);
  });

  it('parse back to the same bytes, however they are typed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: RECOVERY_CODE_BYTES, maxLength: RECOVERY_CODE_BYTES }), fc.boolean(), (bytes, sloppy) => {
        let typed = formatRecoveryCode(bytes);
        if (sloppy) typed = ` ${typed.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l')} `;
        expect(parseRecoveryCode(typed)).toEqual(bytes);
      }),
    );
  });

  it.each(['', 'ABCD-EFGH', `${'A'.repeat(31)}U`, `${'A'.repeat(33)}`, `${'A'.repeat(31)}!`])('refuse %j', (text) => {
    expect(() => parseRecoveryCode(text)).toThrow(expect.objectContaining({ code: 'BAD_RECOVERY_CODE' }));
  });
});
