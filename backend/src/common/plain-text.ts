/**
 * The one rule for free text the API stores in clear and shows to people:
 * names (display name, specialty, security-key name, an auditor's name from
 * create-auditor), a consent's purpose, an erasure's reason, and the doctor
 * search `q`. Folder names and record metadata are sealed in the browser and
 * never reach this rule.
 *
 * Such text is one line: no C0 or C1 control character (NUL, which PostgreSQL
 * cannot store in text; newlines and escape sequences, which forge lines in a
 * log or a terminal), no line or paragraph separator, and none of the
 * bidirectional embedding, override and isolate controls that make a name
 * display as another (Trojan Source, CVE-2021-42574). It is not blank.
 */
import { applyDecorators } from '@nestjs/common';
import { IsString, Length, Matches } from 'class-validator';

const FORBIDDEN = '\\p{Cc}\\p{Zl}\\p{Zp}\\u202A-\\u202E\\u2066-\\u2069';
const ONE_LINE = new RegExp(`^[^${FORBIDDEN}]*$`, 'u');
const NOT_BLANK = /\S/u;

export const ONE_LINE_MESSAGE = 'must be one line of text without control or bidirectional-override characters';

/** Why `value` is not plain one-line text of minLength..maxLength characters, or null when it is. */
export function plainTextProblem(value: string, minLength: number, maxLength: number): string | null {
  if (value.length < minLength || value.length > maxLength) return `must be ${minLength} to ${maxLength} characters`;
  if (!ONE_LINE.test(value)) return ONE_LINE_MESSAGE;
  if (!NOT_BLANK.test(value)) return 'must not be blank';
  return null;
}

/** The validation decorators of the rule above, for a DTO field (documented by the field's own ApiProperty). */
export function IsPlainText(minLength: number, maxLength: number): PropertyDecorator {
  return applyDecorators(
    IsString(),
    Length(minLength, maxLength),
    Matches(ONE_LINE, { message: `$property ${ONE_LINE_MESSAGE}` }),
    Matches(NOT_BLANK, { message: '$property must not be blank' }),
  );
}
