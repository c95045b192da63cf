import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, MaxLength, ValidateBy, isEmail, isString, length, maxLength } from 'class-validator';
import { AUTH_KEY_BYTES, MAX_PUBLIC_KEY_CHARS, MAX_WRAPPED_KEY_CHARS } from '@phr/shared-types';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Characters of an unpadded base64url value of `bytes` bytes. */
export const base64UrlLength = (bytes: number): number => Math.ceil((bytes * 4) / 3);

/**
 * Base64url without padding, and canonical (docs/protocol.md "Encodings"): no length that leaves
 * one character over (it would hold no whole byte), and no stray bits in the last character, so
 * each value has one spelling. The portal's reader refuses the others, so a value stored in
 * another spelling would be one that no browser could open.
 */
export function isCanonicalBase64Url(value: string): boolean {
  return BASE64URL.test(value) && value.length % 4 !== 1 && Buffer.from(value, 'base64url').toString('base64url') === value;
}

/** The value is canonical base64url (isCanonicalBase64Url); its length and documentation are the caller's. */
export const IsCanonicalBase64Url = (): PropertyDecorator =>
  ValidateBy({
    name: 'isCanonicalBase64Url',
    validator: {
      validate: (value: unknown) => isString(value) && isCanonicalBase64Url(value),
      defaultMessage: () => '$property must be base64url without padding, canonical (no stray bits in its last character)',
    },
  });

export function IsBase64Url(minChars: number, maxChars: number, description: string): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ type: String, description, minLength: minChars, maxLength: maxChars, pattern: BASE64URL.source }),
    IsString(),
    Length(minChars, maxChars),
    IsCanonicalBase64Url(),
  );
}

/** What IsBase64Url accepts, with the same class-validator functions (for ValidatedQuicklyBy, common/validation.ts). */
export const isBase64Url = (value: unknown, minChars: number, maxChars: number): boolean =>
  isString(value) && length(value, minChars, maxChars) && isCanonicalBase64Url(value);

export const IsAuthKey = (description: string): PropertyDecorator =>
  IsBase64Url(base64UrlLength(AUTH_KEY_BYTES), base64UrlLength(AUTH_KEY_BYTES), description);

/** What IsAuthKey accepts. */
export const isAuthKey = (value: unknown): boolean => isBase64Url(value, base64UrlLength(AUTH_KEY_BYTES), base64UrlLength(AUTH_KEY_BYTES));

export const IsSealedKey = (description: string): PropertyDecorator => IsBase64Url(40, MAX_WRAPPED_KEY_CHARS, description);

export const IsPublicKey = (description: string): PropertyDecorator => IsBase64Url(200, MAX_PUBLIC_KEY_CHARS, description);

const MAX_EMAIL_CHARS = 254;

export function IsAccountEmail(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ type: String, format: 'email', maxLength: MAX_EMAIL_CHARS, example: 'ada@example.org' }),
    IsString(),
    MaxLength(MAX_EMAIL_CHARS),
    IsEmail({}, { message: '$property must be an email address' }),
  );
}

/** What IsAccountEmail accepts, with the same class-validator functions (for ValidatedQuicklyBy). */
export const isAccountEmail = (value: unknown): boolean => isString(value) && maxLength(value, MAX_EMAIL_CHARS) && isEmail(value, {});
