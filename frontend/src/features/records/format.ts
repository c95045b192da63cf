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

export const CATEGORIES = ['Lab result', 'Imaging', 'Prescription', 'Letter', 'Vaccination', 'Other'] as const;
