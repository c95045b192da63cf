import { RECORD_CATEGORIES, type RecordCategory } from '@phr/shared-types';
import { CATEGORY_LABELS } from './format.js';

/** A labelled choice of a record's category, every category in the contract's order. */
export function CategorySelect({ label, value, disabled, onChange }: { label: string; value: RecordCategory; disabled?: boolean; onChange(category: RecordCategory): void }) {
  return (
    <label>
      {label}
      <select value={value} disabled={disabled} onChange={(event) => onChange(event.target.value as RecordCategory)}>
        {RECORD_CATEGORIES.map((code) => (
          <option key={code} value={code}>
            {CATEGORY_LABELS[code]}
          </option>
        ))}
      </select>
    </label>
  );
}
