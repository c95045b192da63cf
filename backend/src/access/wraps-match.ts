import { ERROR_CODES } from '@phr/shared-types';
import { ApiError } from '../common/api-error.js';

/**
 * DESIGN 5: a set of wraps handed over for a scope (a consent, a trusted contact, break-glass)
 * names every record in that scope once, and nothing else; else 400 WRAPS_MISMATCH naming `wraps`.
 */
export function assertWrapsMatch(inScope: readonly string[], wrappedRecordIds: readonly string[]): void {
  const scope = new Set(inScope);
  const given = new Set(wrappedRecordIds);
  const problems: string[] = [];
  if (given.size !== wrappedRecordIds.length) problems.push('a record is wrapped twice');
  const missing = inScope.filter((id) => !given.has(id));
  const extra = [...given].filter((id) => !scope.has(id));
  if (missing.length) problems.push(`no wrap for ${missing.length} record(s) in scope: ${missing.join(', ')}`);
  if (extra.length) problems.push(`${extra.length} wrap(s) for records outside the scope or not yours: ${extra.join(', ')}`);
  if (problems.length) {
    throw new ApiError(400, ERROR_CODES.wrapsMismatch, `The wraps do not match the records in scope: ${problems.join('; ')}`, [{ field: 'wraps', message: problems.join('; ') }]);
  }
}
