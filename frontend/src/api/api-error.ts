import type { ErrorResponse } from '@phr/shared-types';

/** An error answer of the API, with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorResponse,
    /** Seconds from Retry-After on a 429 or a 503. */
    readonly retryAfter: number | null,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }

  get code(): string {
    return this.body.code;
  }
}

/** What to tell a person about a failed call. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429) return `Too many attempts. Try again in ${error.retryAfter ?? 'a few'} seconds.`;
    // The API names the part that is down and says nothing was changed.
    if (error.status === 503) return error.body.message;
    if (error.status >= 500) return `Something went wrong on our side (request ${error.body.requestId}). Please try again.`;
    return error.body.message;
  }
  if (error instanceof TypeError) return 'The service cannot be reached. Check your connection and try again.';
  return error instanceof Error ? error.message : 'Something went wrong.';
}
