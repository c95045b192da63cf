import { HttpException } from '@nestjs/common';
import { ERROR_CODES, type AccessEnded, type ErrorCode, type FieldError } from '@phr/shared-types';

/** An HTTP error with a stable code; the one filter turns it into an ErrorResponse. */
export class ApiError extends HttpException {
  /** Set only by ApiError.accessEnded: the ended consent the answer describes. */
  accessEnded?: AccessEnded;

  constructor(
    status: number,
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message, status);
  }

  static validation(fields: FieldError[]): ApiError {
    const message = `Invalid request: ${fields.map((f) => f.field).join(', ')}`;
    return new ApiError(400, ERROR_CODES.validation, message, fields);
  }

  /** A doctor's read of a record their consent no longer covers (docs/protocol.md "Reads after a consent ended"). */
  static accessEnded(ended: AccessEnded): ApiError {
    const how = ended.reason === 'revoked' ? 'withdrew access' : 'gave access that expired';
    const error = new ApiError(410, ERROR_CODES.accessEnded, `${ended.patientName} ${how} on ${ended.endedAt.slice(0, 10)}`);
    error.accessEnded = ended;
    return error;
  }

  static notFound(what = 'Not found'): ApiError {
    return new ApiError(404, ERROR_CODES.notFound, what);
  }

  static forbidden(message = 'Not allowed for your role'): ApiError {
    return new ApiError(403, ERROR_CODES.forbidden, message);
  }

  static unauthenticated(message = 'Sign-in required'): ApiError {
    return new ApiError(401, ERROR_CODES.unauthenticated, message);
  }

  /**
   * After repeated failures, a client the account does not know must show work
   * first (docs/protocol.md "Proof of work"). It may retry at once, with a proof:
   * Retry-After is 0.
   */
  static proofOfWorkRequired(): ApiError {
    return new ApiError(
      429,
      ERROR_CODES.proofOfWorkRequired,
      'Too many failed attempts on this account: solve a challenge of POST /auth/proof-of-work and send the answer as proofOfWork',
      undefined,
      { 'Retry-After': '0' },
    );
  }

  static tooManyRequests(retryAfterSeconds: number): ApiError {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    return new ApiError(429, ERROR_CODES.tooManyRequests, `Too many attempts; try again in ${seconds} s`, undefined, {
      'Retry-After': String(seconds),
    });
  }
}
