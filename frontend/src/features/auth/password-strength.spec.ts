import { describe, expect, it } from '@jest/globals';
import { PASSWORD_MIN_LENGTH, PASSWORD_MIN_SCORE } from '@phr/shared-types';
import { assessPassword, PASSWORD_CONTEXT_WORDS } from './password-strength.js';

// The portal's password rules (ASVS 2.1.1, 2.1.7): the server never sees the password, so these are the only check.
describe('password strength', () => {
  it('refuses 11 characters however random, and names the length rule', async () => {
    const assessment = await assessPassword('q7#Vx!2mZ@k');
    expect('q7#Vx!2mZ@k').toHaveLength(PASSWORD_MIN_LENGTH - 1);
    expect(assessment.isAcceptable).toBe(false);
    expect(assessment.problems).toContain(`Use at least ${PASSWORD_MIN_LENGTH} characters.`);
  });

  it('accepts the same kind of random password at 12 characters', async () => {
    const assessment = await assessPassword('q7#Vx!2mZ@kR');
    expect(assessment).toEqual({ score: 4, isAcceptable: true, problems: [] });
  });

  it.each(['password1234', 'Password1234', 'qwertyuiop123', '123456789012', 'iloveyou1234', 'letmein12345', 'abcdefghijkl'])(
    'refuses the common password %s although it is long enough',
    async (password) => {
      expect(password.length).toBeGreaterThanOrEqual(PASSWORD_MIN_LENGTH);
      const assessment = await assessPassword(password);
      expect(assessment.score).toBeLessThan(PASSWORD_MIN_SCORE);
      expect(assessment.isAcceptable).toBe(false);
      expect(assessment.problems.length).toBeGreaterThan(0);
    },
  );

  it('refuses the person’s own email or name as the password, which would score well on its own', async () => {
    const email = 'avery.morgan@example.org';
    expect((await assessPassword(email)).isAcceptable).toBe(true);
    expect((await assessPassword(email, [email, 'Avery Morgan'])).isAcceptable).toBe(false);
    expect((await assessPassword('Avery Morgan 1', [email, 'Avery Morgan'])).isAcceptable).toBe(false);
  });

  it.each(['HealthRecords1', 'healthrecords2026'])('refuses the product’s own words in %s, which would score well on their own', async (password) => {
    expect((await assessPassword(password, [], [])).isAcceptable).toBe(true);
    expect((await assessPassword(password)).isAcceptable).toBe(false);
    expect(PASSWORD_CONTEXT_WORDS).toContain('healthrecords');
  });

  it('accepts a strong passphrase', async () => {
    const assessment = await assessPassword('violet lantern orbit marsh');
    expect(assessment.score).toBeGreaterThanOrEqual(PASSWORD_MIN_SCORE);
    expect(assessment).toMatchObject({ isAcceptable: true, problems: [] });
  });
});
