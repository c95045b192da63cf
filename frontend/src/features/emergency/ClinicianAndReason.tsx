import type { EmergencyBreak } from '@phr/shared-types';
import { clinicianWords, reasonWords } from './emergency-words.js';

/** Who broke the glass and why, as rows of a details list (a holder's share request, an auditor's review). */
export function ClinicianAndReason({ breakGlass, reasonTestId }: { breakGlass: EmergencyBreak; reasonTestId?: string }) {
  return (
    <>
      <dt>Clinician</dt>
      <dd>{clinicianWords(breakGlass)}</dd>
      <dt>Reason</dt>
      <dd data-testid={reasonTestId}>{reasonWords(breakGlass)}</dd>
    </>
  );
}
