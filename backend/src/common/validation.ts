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

/** Every DTO is an object: an array, a string or null as the body is refused before validation. */
class ObjectBodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (metadata.type === 'body' && metadata.metatype && !isObject) {
      throw ApiError.validation([{ field: 'body', message: 'body must be a JSON object' }]);
    }
    return super.transform(value, metadata);
  }
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
  return message.replace(new RegExp(`^${escapeRegExp(property)}\\b`), field);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
