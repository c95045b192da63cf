import { ParseUUIDPipe } from '@nestjs/common';
import { ApiError } from './api-error.js';

/** A path id that must be a UUID; anything else is a 400 naming the parameter. */
export const uuidParam = (name = 'id') =>
  new ParseUUIDPipe({ exceptionFactory: () => ApiError.validation([{ field: name, message: `${name} must be a UUID` }]) });
