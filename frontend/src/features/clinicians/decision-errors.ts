/** An operator's decision the API refused, in plain words (docs/protocol.md "Clinicians"). */
import { ERROR_CODES, type ClinicianSummary } from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';

export const STATUS_LABELS = { pending: 'Waiting', approved: 'Approved', suspended: 'Suspended', refused: 'Refused' } as const;

export function describeDecisionError(error: unknown, clinician: ClinicianSummary): string {
  if (!(error instanceof ApiError)) return describeError(error);
  if (error.code === ERROR_CODES.nameConfusable) {
    const { mixedScript, looksLike } = clinician.nameCheck;
    if (looksLike.length > 0) {
      const others = looksLike.map((other) => `${other.displayName} (${other.organisation})`).join(', ');
      return (
        `Not approved: the name “${clinician.displayName}” looks the same as the name of another verified clinician: ${others}. ` +
        'Patients could take one for the other. Ask the clinician for a name that tells them apart, or refuse the request.'
      );
    }
    if (mixedScript) {
      return `Not approved: the name “${clinician.displayName}” mixes letters of more than one alphabet, so it can pass for another name. Ask the clinician to write it in one alphabet, or refuse the request.`;
    }
    return `Not approved: ${error.body.message}`;
  }
  if (error.code === ERROR_CODES.clinicianState) {
    return `That decision does not apply to ${clinician.displayName} any more: another operator may have decided meanwhile. The list now shows where they stand.`;
  }
  if (error.status === 403) return 'Only operators can decide who may be a doctor.';
  if (error.status === 404) return `${clinician.displayName} is no longer in the list: the account may have been erased.`;
  return describeError(error);
}
