import type { AccessEnded, ErrorResponse } from '@phr/shared-types';

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
    if (error.body.accessEnded) return describeAccessEnded(error.body.accessEnded);
    return error.body.message;
  }
  if (error instanceof TypeError) return 'The service cannot be reached. Check your connection and try again.';
  return error instanceof Error ? error.message : 'Something went wrong.';
}

/** A doctor's read after the patient's consent ended (410 ACCESS_ENDED), in the reader's own date format. */
export function describeAccessEnded({ reason, patientName, endedAt }: AccessEnded): string {
  const day = new Date(endedAt).toLocaleDateString();
  return reason === 'revoked' ? `${patientName} withdrew access on ${day}` : `The access ${patientName} gave you expired on ${day}`;
}
