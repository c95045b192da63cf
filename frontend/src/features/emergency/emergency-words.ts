/** Words the break-glass screens share: the reason codes (HL7 v3 ActReason) and times. */
import type { EmergencyBreak, EmergencyReasonCode } from '@phr/shared-types';

export const REASON_LABELS: Record<EmergencyReasonCode, string> = {
  ETREAT: 'Emergency treatment',
  ERTREAT: 'Emergency room treatment',
  BTG: 'Break the glass',
  PATRQT: 'Patient requested',
};

/** A break's reason in words: the code's label, the code, and the clinician's own words. */
export function reasonWords(breakGlass: Pick<EmergencyBreak, 'reasonCode' | 'reasonText'>): string {
  return `${REASON_LABELS[breakGlass.reasonCode]} (${breakGlass.reasonCode}): ${breakGlass.reasonText}`;
}

/** The clinician of a break, with their organisation when they gave one. */
export function clinicianWords(breakGlass: Pick<EmergencyBreak, 'clinicianName' | 'clinicianOrganisation'>): string {
  return breakGlass.clinicianOrganisation ? `${breakGlass.clinicianName} · ${breakGlass.clinicianOrganisation}` : breakGlass.clinicianName;
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** A break's state in words, with its time box. */
export function breakStateText(breakGlass: Pick<EmergencyBreak, 'state' | 'threshold' | 'sharesReleased' | 'expiresAt' | 'endedAt'>): string {
  if (breakGlass.state === 'waiting') return `Waiting for shares: ${breakGlass.sharesReleased} of ${breakGlass.threshold} released. Open until ${when(breakGlass.expiresAt)} at the latest.`;
  if (breakGlass.state === 'open') return `Open until ${when(breakGlass.expiresAt)}.`;
  return `Ended on ${when(breakGlass.endedAt ?? breakGlass.expiresAt)}.`;
}
