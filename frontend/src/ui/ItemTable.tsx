import type { ReactNode } from 'react';
import { TableHead } from './TableHead.js';

/** One column of an ItemTable. */
export interface ItemColumn<T> {
  header: string;
  cell(item: T): ReactNode;
  /** On a phone, where rows are cards, the cell is introduced by its header (`data-label`). */
  isLabelledOnPhone?: boolean;
  className?: string;
}

/**
 * A table of the account's things (sessions, API tokens, security keys): one row per item,
 * marked with its id for tests and scripts (`rowIdAttribute`), and a last column for its action.
 */
export function ItemTable<T extends { id: string }>({
  testId,
  rowIdAttribute,
  columns,
  items,
  action,
}: {
  testId: string;
  rowIdAttribute: `data-${string}-id`;
  columns: Array<ItemColumn<T>>;
  items: readonly T[];
  action(item: T): ReactNode;
}) {
  return (
    <table className="record-table" data-testid={testId}>
      <TableHead columns={columns.map((column) => column.header)} />
      <tbody>
        {items.map((item) => (
          <tr key={item.id} {...{ [rowIdAttribute]: item.id }}>
            {columns.map((column) => (
              <td key={column.header} className={column.className} data-label={column.isLabelledOnPhone ? column.header : undefined}>
                {column.cell(item)}
              </td>
            ))}
            <td>{action(item)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
