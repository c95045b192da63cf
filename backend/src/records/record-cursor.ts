import { ApiError } from '../common/api-error.js';
import { isIssuedTime, isUuid } from '../common/cursor-members.js';

/** An opaque page cursor: the (created_at, id) of the last row of the previous page. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (isIssuedTime(createdAt) && isUuid(id)) return { createdAt, id };
  } catch {
    // fall through
  }
  throw ApiError.validation([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);
}
