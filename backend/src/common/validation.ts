import { ValidationPipe, type ValidationError } from '@nestjs/common';
import type { FieldError } from '@phr/shared-types';
import { ApiError } from './api-error.js';

/**
 * Every body and query is validated against its DTO: unknown fields are
 * refused and every bad field is named in the 400 answer.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => ApiError.validation(flattenErrors(errors)),
  });
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
