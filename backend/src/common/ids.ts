/**
 * Ids enter the API in one place and leave it in one form. A UUID names the
 * same thing in any letter case (RFC 9562), and PostgreSQL stores it lower-cased,
 * but the API compares ids as strings (sets of wraps, "is this my session?"),
 * echoes them in answers and hashes them into the audit chain (DESIGN 7). So
 * every id a request carries, in the path, the query or the body, is
 * lower-cased as it is parsed, before any service sees it (issue 12: an id in
 * upper case once broke the owner's audit chain, refused valid wraps and
 * echoed the id as sent). Every DTO field that holds an id uses `IsId`, and
 * every path id `uuidParam`; ESLint forbids `IsUUID` and `ParseUUIDPipe` elsewhere.
 */
import { applyDecorators, ParseUUIDPipe, type ArgumentMetadata } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { isUUID, IsUUID, ValidateBy } from 'class-validator';
import { ApiError } from './api-error.js';

/** The canonical form of an id: lower case. Anything else is left for validation to refuse. */
export function canonicalId(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

/** A DTO field that holds an id: validated as a UUID of `version` and lower-cased. */
export function IsId(version: '4' | 'all' = '4'): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) => canonicalId(value)),
    IsUUID(version),
  );
}

/** A query field of one to `max` ids of `version`, comma-separated (`ids=a,b`), each lower-cased. */
export function IsIdList(max: number, noun: string, version: '4' | 'all' = 'all'): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) => canonicalId(value)),
    ValidateBy({
      name: 'isIdList',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && value.split(',').length <= max && value.split(',').every((id) => isUUID(id, version)),
        defaultMessage: () => `ids must be up to ${max} ${noun} ids separated by commas`,
      },
    }),
  );
}

/** A path id that must be a UUID (anything else is a 400 naming the parameter), lower-cased. */
class CanonicalUuidPipe extends ParseUUIDPipe {
  override async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    return canonicalId(await super.transform(value, metadata)) as string;
  }
}

export const uuidParam = (name = 'id') =>
  new CanonicalUuidPipe({ exceptionFactory: () => ApiError.validation([{ field: name, message: `${name} must be a UUID` }]) });
