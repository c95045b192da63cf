import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { LoginDto } from '../src/auth/sign-in/dto/login.dto.js';
import { createValidationPipe, quickBodyCheckOf } from '../src/common/validation.js';

/**
 * A DTO's quick check (ValidatedQuicklyBy, common/validation.ts) lets the sign-in's body skip
 * class-transformer and class-validator (issue 14). It may only ever accept what the DTO's
 * decorators accept, and what it hands the handler must be what the full validation would.
 */
describe('the sign-in body’s quick check', () => {
  const pipe = createValidationPipe();
  const asBody = (value: unknown) => pipe.transform(value, { type: 'body', metatype: LoginDto, data: '' });
  /** The full validation alone, with the pipe's options. */
  const fullErrors = (body: object) =>
    validateSync(plainToInstance(LoginDto, body), { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, stopAtFirstError: true });

  const authKey = randomBytes(32).toString('base64url');
  const emails = [
    'ada@example.org',
    'Ada.Lovelace+phr@Example.ORG',
    'a@b',
    'ada@localhost',
    '"quoted name"@example.org',
    'ada@example.org ',
    ' ada@example.org',
    'ada@@example.org',
    'ada@exam_ple.org',
    'ada@[127.0.0.1]',
    'ådå@exämple.org',
    '😀@example.org',
    `${'a'.repeat(64)}@example.org`,
    `${'a'.repeat(65)}@example.org`,
    `ada@${'b'.repeat(240)}.org`,
    `ada@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(55)}.org`,
    `ada@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(56)}.org`,
    `${'😀'.repeat(20)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.org`,
    '',
    'ada',
    'ada@example.org\n',
  ];
  const authKeys = [authKey, authKey.slice(1), `${authKey}A`, `${authKey.slice(1)}=`, `${authKey.slice(1)}+`, `${authKey.slice(1)}/`, `${authKey.slice(1)}é`, 'A'.repeat(43), ''];
  const bodies: object[] = [
    ...emails.flatMap((email) => authKeys.map((key) => ({ email, authKey: key }))),
    { authKey, email: 'ada@example.org' },
    { email: 'ada@example.org' },
    { authKey },
    { email: 'ada@example.org', authKey, role: 'auditor' },
    { email: 'ada@example.org', authKey, proofOfWork: { challenge: 'x', nonce: 'y' } },
    { email: 42, authKey },
    { email: 'ada@example.org', authKey: 42 },
    { email: ['ada@example.org'], authKey },
    { email: 'ada@example.org', authKey: { length: 43 } },
    JSON.parse(`{"email":"ada@example.org","authKey":"${authKey}","__proto__":{"isAdmin":true}}`) as object,
    JSON.parse(`{"email":"ada@example.org","__proto__":{"authKey":"${authKey}"}}`) as object,
  ];

  it('accepts only bodies the full validation accepts, and hands over the same instance', async () => {
    const quickCheck = quickBodyCheckOf(LoginDto);
    let accepted = 0;
    let quicklyAccepted = 0;
    for (const body of bodies) {
      const isValid = fullErrors(structuredClone(body)).length === 0;
      if (quickCheck?.(structuredClone(body) as Record<string, unknown>)) {
        quicklyAccepted++;
        expect({ body, isValid }).toEqual({ body, isValid: true });
      }
      const answer = await asBody(structuredClone(body)).then(
        (dto: unknown) => ({ dto }),
        () => null,
      );
      expect({ body, isAccepted: answer !== null }).toEqual({ body, isAccepted: isValid });
      if (!answer) continue;
      accepted++;
      expect(answer.dto).toBeInstanceOf(LoginDto);
      expect(answer.dto).toEqual(plainToInstance(LoginDto, body));
    }
    expect(accepted).toBeGreaterThan(5);
    // The ordinary sign-in body takes the quick way.
    expect(quickCheck?.({ email: 'ada@example.org', authKey })).toBe(true);
    expect(quicklyAccepted).toBeGreaterThan(5);
  });
});
