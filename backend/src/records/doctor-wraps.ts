import { ERROR_CODES, type CommitDoctorWrap } from '@phr/shared-types';
import { ApiError } from '../common/api-error.js';

/**
 * DESIGN 5: the doctor wraps a request carries must be exactly one for each
 * doctor in `required` (a consent in force covers the record where it goes and
 * they hold no wrap yet): a wrap for anyone else, or twice for one doctor, is a
 * 400; a missing one a 409 DOCTOR_WRAP_MISSING, so no doctor silently loses
 * access to a record their consent covers.
 */
export function checkDoctorWrapsCover(required: ReadonlySet<string>, given: readonly CommitDoctorWrap[]): CommitDoctorWrap[] {
  const givenIds = new Set(given.map((wrap) => wrap.doctorId));
  const unexpected = given.filter((wrap) => !required.has(wrap.doctorId)).map((wrap) => wrap.doctorId);
  if (givenIds.size !== given.length || unexpected.length) {
    const message = unexpected.length ? `no active consent covering this record for doctor(s) ${unexpected.join(', ')}` : 'a doctor is wrapped twice';
    throw ApiError.validation([{ field: 'doctorWraps', message }]);
  }
  const missing = [...required].filter((doctorId) => !givenIds.has(doctorId));
  if (missing.length) {
    throw new ApiError(409, ERROR_CODES.doctorWrapMissing, `An active consent covers this record: add a wrap for doctor(s) ${missing.join(', ')}`, [
      { field: 'doctorWraps', message: `missing for ${missing.join(', ')}` },
    ]);
  }
  return [...given];
}
