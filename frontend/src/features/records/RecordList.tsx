/** The records of a folder (or all), newest first: title, date, size, category; open and delete. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import type { DecryptedRecord } from '../../crypto/record-vault.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { TableHead } from '../../ui/TableHead.js';
import { useSession } from '../auth/session.js';
import { CATEGORY_LABELS, formatBytes } from './format.js';
import { isPreviewable, openRecord, saveFile } from './open-record.js';
import { RecordViewer } from './RecordViewer.js';
import { useRecordList, type ListedRecord, type RecordFilter } from './useRecordQueries.js';

interface RecordListProps extends RecordFilter {
  /** The patient's own list: delete and share. A doctor's list only opens. */
  canChange: boolean;
  onShare?(record: ListedRecord): void;
  title?: string;
}

export function RecordList({ folderId, ownerId, canChange, onShare, title = 'Records' }: RecordListProps) {
  const { user, records, vault } = useSession();
  const queryClient = useQueryClient();
  const list = useRecordList({ folderId, ownerId });
  const [viewing, setViewing] = useState<DecryptedRecord | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // A doctor's page lists one of these per patient: each heading needs an id of its own.
  const titleId = useId();

  const open = useMutation({
    mutationFn: (recordId: string) => openRecord(records, vault, recordId, user?.id ?? ''),
    onSuccess: (record) => {
      if (isPreviewable(record.metadata.mimeType)) setViewing(record);
      else {
        saveFile(record.file, record.metadata.fileName);
        setNotice(`Decrypted and saved ${record.metadata.fileName}`);
      }
    },
  });
  const remove = useMutation({
    mutationFn: (recordId: string) => records.remove(recordId),
    onSuccess: async () => {
      setConfirming(null);
      await invalidateAfter(queryClient, 'recordDeleted');
    },
  });

  const rows = list.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {list.isPending ? <p className="muted">Loading and decrypting your records…</p> : null}
      {list.error ? <Alert tone="error">{describeError(list.error)}</Alert> : null}
      {open.error ? <Alert tone="error">{describeError(open.error)}</Alert> : null}
      {remove.error ? <Alert tone="error">{describeError(remove.error)}</Alert> : null}
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {list.isSuccess && rows.length === 0 ? <p className="muted">No records here yet.</p> : null}
      {rows.length > 0 ? (
        <table className="record-table">
          <TableHead columns={['Title', 'Date', 'Size', 'Category']} />
          <tbody>
            {rows.map((row) => (
              <RecordRow
                key={row.summary.id}
                row={row}
                isOpening={open.isPending && open.variables === row.summary.id}
                isConfirming={confirming === row.summary.id}
                isDeleting={remove.isPending && remove.variables === row.summary.id}
                canChange={canChange}
                onShare={onShare ? () => onShare(row) : undefined}
                onOpen={() => {
                  setNotice(null);
                  open.mutate(row.summary.id);
                }}
                onDelete={() => setConfirming(row.summary.id)}
                onConfirmDelete={() => remove.mutate(row.summary.id)}
                onKeep={() => setConfirming(null)}
              />
            ))}
          </tbody>
        </table>
      ) : null}
      {list.hasNextPage ? (
        <Button type="button" variant="secondary" isBusy={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
          Show more
        </Button>
      ) : null}
      {viewing ? <RecordViewer record={viewing} onClose={() => setViewing(null)} /> : null}
    </section>
  );
}

interface RecordRowProps {
  row: ListedRecord;
  isOpening: boolean;
  isConfirming: boolean;
  isDeleting: boolean;
  canChange: boolean;
  onShare?(): void;
  onOpen(): void;
  onDelete(): void;
  onConfirmDelete(): void;
  onKeep(): void;
}

function RecordRow({ row, isOpening, isConfirming, isDeleting, canChange, onShare, onOpen, onDelete, onConfirmDelete, onKeep }: RecordRowProps) {
  const { summary, opened } = row;
  if ('error' in opened) {
    return (
      <tr>
        <td colSpan={5}>
          <Alert tone="error">A record could not be opened: {opened.error}</Alert>
        </td>
      </tr>
    );
  }
  const { title, date, category } = opened.metadata;
  return (
    <tr data-testid="record-row">
      <td>{title}</td>
      <td data-label="Date">{date}</td>
      <td data-label="Size">{formatBytes(summary.size)}</td>
      <td data-label="Category">{CATEGORY_LABELS[category]}</td>
      <td className="row">
        {isConfirming ? (
          <>
            <span>Delete “{title}” for good?</span>
            <Button type="button" variant="danger" isBusy={isDeleting} onClick={onConfirmDelete}>
              Yes, delete
            </Button>
            <Button type="button" variant="secondary" onClick={onKeep}>
              Keep
            </Button>
          </>
        ) : (
          <>
            <Button type="button" isBusy={isOpening} onClick={onOpen} aria-label={`Open ${title}`}>
              Open
            </Button>
            {canChange && onShare ? (
              <Button type="button" variant="secondary" onClick={onShare} aria-label={`Share ${title}`}>
                Share
              </Button>
            ) : null}
            {canChange ? (
              <Button type="button" variant="secondary" onClick={onDelete} aria-label={`Delete ${title}`}>
                Delete
              </Button>
            ) : null}
          </>
        )}
      </td>
    </tr>
  );
}
