import { TRASH_RETENTION_DAYS, type RecordCategory } from '@phr/shared-types';

/** Sizes and dates as the records page shows them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** What the portal shows for each category code of the sealed metadata (docs/protocol.md "Record metadata"). */
export const CATEGORY_LABELS: Readonly<Record<RecordCategory, string>> = {
  'lab-result': 'Lab result',
  imaging: 'Imaging',
  prescription: 'Prescription',
  letter: 'Letter',
  vaccination: 'Vaccination',
  other: 'Other',
};

/** The day a record in the trash is deleted for good (TRASH_RETENTION_DAYS after it went there; the server's setting may differ). */
export function trashEndsOn(trashedAt: string | null): string {
  if (!trashedAt) return '';
  return new Date(new Date(trashedAt).getTime() + TRASH_RETENTION_DAYS * 86_400_000).toLocaleDateString();
}
