import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import type { FieldError } from '@phr/shared-types';
import { ApiError } from './api-error.js';

/**
 * Every body and query is validated against its DTO: unknown fields are
 * refused and every bad field is named in the 400 answer.
 */
export function createValidationPipe(): ValidationPipe {
  return new ObjectBodyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => ApiError.validation(flattenErrors(errors)),
  });
}

/** A DTO's own check of the one body shape a busy route almost always gets (ValidatedQuicklyBy). */
export type QuickBodyCheck = (body: Record<string, unknown>) => boolean;

const quickChecks = new WeakMap<object, QuickBodyCheck>();

/**
 * Lets a DTO that every request of a busy route carries skip class-transformer and
 * class-validator when `check` accepts its body (issue 14: the sign-in's body cost ~8% of the
 * API's CPU per sign-in there). `check` must accept only bodies the DTO's decorators accept,
 * calling the same class-validator functions (validation-quick-checks.spec compares the two);
 * any other body goes through the full validation, which also words the errors. An accepted
 * body becomes an instance of the DTO with its fields copied, as class-transformer makes it: only
 * for DTOs whose accepted fields are plain strings.
 */
export function ValidatedQuicklyBy(check: QuickBodyCheck): ClassDecorator {
  return (target) => {
    quickChecks.set(target, check);
  };
}

/** The quick check a DTO class carries, if any. */
export function quickBodyCheckOf(dto: object): QuickBodyCheck | undefined {
  return quickChecks.get(dto);
}

/** A body whose own keys are exactly `keys` (in any order): no unknown field, nothing missing. */
export function hasExactlyKeys(body: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(body);
  return own.length === keys.length && keys.every((key) => Object.hasOwn(body, key));
}

/** No request shape nests deeper; class-transformer recurses and would overflow the stack on thousands of levels. */
export const MAX_BODY_DEPTH = 16;

/**
 * Every DTO is an object: an array, a string or null as the body is refused
 * before validation, and so is a body nested deeper than any DTO.
 */
class ObjectBodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (metadata.type === 'body' && metadata.metatype && !isObject) {
      throw ApiError.validation([{ field: 'body', message: 'body must be a JSON object' }]);
    }
    const quickCheck = metadata.type === 'body' && metadata.metatype ? quickBodyCheckOf(metadata.metatype) : undefined;
    if (quickCheck?.(value as Record<string, unknown>)) return Object.assign(new (metadata.metatype as new () => object)(), value);
    if (metadata.type === 'body' && nestsDeeperThan(value, MAX_BODY_DEPTH)) {
      throw ApiError.validation([{ field: 'body', message: `body must not nest deeper than ${MAX_BODY_DEPTH} levels` }]);
    }
    return super.transform(value, metadata);
  }
}

/** Walks the value without recursion, so the check itself cannot overflow the stack. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length) {
    const [current, depth] = pending.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}

export function flattenErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message: stripPath(message, error.property, field) }));
    return [...own, ...flattenErrors(error.children ?? [], field)];
  });
}

/** class-validator writes "property x should not exist"; keep messages short and with the full path. */
function stripPath(message: string, property: string, field: string): string {
  if (message === `property ${property} should not exist`) return `${field} is not an allowed field`;
  // Replace the leading property name when it is a whole word (class-validator puts it first).
  const rest = message.slice(property.length);
  return message.startsWith(property) && !/^\w/.test(rest) ? `${field}${rest}` : message;
}
