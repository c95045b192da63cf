/**
 * The records of a folder (or all), or the patient's trash: title, date, size, category;
 * searched and sorted in the browser over the decrypted metadata (record-search.ts). The
 * owner opens, shares, edits, moves and trashes; from the trash, restores or deletes now.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { ERROR_CODES, type RecordListView } from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import type { DecryptedRecord } from '../../crypto/record-vault.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { ShowMore } from '../../ui/ShowMore.js';
import { TableHead } from '../../ui/TableHead.js';
import { useSession } from '../auth/session.js';
import { CATEGORY_LABELS, formatBytes, trashEndsOn } from './format.js';
import { isPreviewable, openRecord, saveFile } from './open-record.js';
import { MoveRecordForm } from './MoveRecordForm.js';
import { RecordEditForm } from './RecordEditForm.js';
import { RECORD_SORTS, searchAndSort, SORT_LABELS, type RecordSort } from './record-search.js';
import { RecordViewer } from './RecordViewer.js';
import { useRecordList, type ListedRecord, type RecordFilter } from './useRecordQueries.js';

interface RecordListProps extends RecordFilter {
  /** The patient's own list: edit, move, trash and share. A doctor's list only opens. */
  canChange: boolean;
  onShare?(record: ListedRecord): void;
  /** A doctor's open refused because the patient's consent ended (410): said above the list, which then refreshes. */
  onAccessEnded?(message: string): void;
  title?: string;
}

/** What a row is showing below it, if anything. */
type Panel = { recordId: string; kind: 'edit' | 'move' | 'confirm-delete' } | null;

export function RecordList({ folderId, ownerId, view = 'active', canChange, onShare, onAccessEnded, title = 'Records' }: RecordListProps) {
  const { user, records, vault } = useSession();
  const queryClient = useQueryClient();
  const list = useRecordList({ folderId, ownerId, view });
  const [viewing, setViewing] = useState<DecryptedRecord | null>(null);
  // The Open button that opened the viewer: it disables itself while the record decrypts, so the viewer gives focus back to it by name.
  const openedFrom = useRef<HTMLElement | null>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // A doctor's page lists one of these per patient: each heading needs an id of its own.
  const titleId = useId();
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<RecordSort>('added');

  // A search or a sort covers every record, not only the pages shown so far: the rest is fetched (and decrypted) first.
  const isOrdering = query.trim() !== '' || sort !== 'added';
  useEffect(() => {
    if (isOrdering && list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage();
  }, [isOrdering, list]);

  const open = useMutation({
    mutationFn: (recordId: string) => openRecord(records, vault, recordId, user?.id ?? ''),
    onSuccess: (record) => {
      if (isPreviewable(record.metadata.mimeType)) setViewing(record);
      else {
        saveFile(record.file, record.metadata.fileName);
        setNotice(`Decrypted and saved ${record.metadata.fileName}`);
      }
    },
    onError: async (error) => {
      if (!(error instanceof ApiError) || error.code !== ERROR_CODES.accessEnded) return;
      onAccessEnded?.(describeError(error));
      await invalidateAfter(queryClient, 'consentRevoked');
    },
  });
  const trash = useMutation({
    mutationFn: (row: ListedRecord) => records.trash(row.summary.id),
    onSuccess: async (summary, row) => {
      setNotice(`Moved “${titleOf(row)}” to the trash: you can restore it until ${trashEndsOn(summary.trashedAt)}`);
      await invalidateAfter(queryClient, 'recordTrashed');
    },
  });
  const restore = useMutation({
    mutationFn: (row: ListedRecord) => records.restore(row.summary.id),
    onSuccess: async (_summary, row) => {
      setNotice(`Restored “${titleOf(row)}”`);
      await invalidateAfter(queryClient, 'recordTrashed');
    },
  });
  const remove = useMutation({
    mutationFn: (recordId: string) => records.remove(recordId),
    onSuccess: async () => {
      setPanel(null);
      await invalidateAfter(queryClient, 'recordDeleted');
    },
  });

  const loaded = list.data?.pages.flatMap((page) => page.items) ?? [];
  const rows = searchAndSort(
    loaded.map((row) => ({ ...row, createdAt: row.summary.createdAt, metadata: 'metadata' in row.opened ? row.opened.metadata : null })),
    query,
    sort,
  );
  // An ended consent is told once, by the page that lists the patient's consents (onAccessEnded).
  const openFailure = onAccessEnded && open.error instanceof ApiError && open.error.code === ERROR_CODES.accessEnded ? null : open.error;
  const failure = list.error ?? openFailure ?? trash.error ?? restore.error ?? remove.error;
  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {loaded.length > 0 ? (
        <div className="row" role="search">
          <label>
            Search
            <input type="search" value={query} onChange={(event) => setQuery(event.target.value)} placeholder="Title, category, notes, date" />
          </label>
          <label>
            Sort by
            <select value={sort} onChange={(event) => setSort(event.target.value as RecordSort)}>
              {RECORD_SORTS.map((code) => (
                <option key={code} value={code}>
                  {SORT_LABELS[code]}
                </option>
              ))}
            </select>
          </label>
        </div>
      ) : null}
      {list.isPending ? <p className="muted">Loading and decrypting your records…</p> : null}
      {failure ? <Alert tone="error">{describeError(failure)}</Alert> : null}
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {list.isSuccess && loaded.length === 0 ? <p className="muted">{view === 'trash' ? 'The trash is empty.' : 'No records here yet.'}</p> : null}
      {loaded.length > 0 && rows.length === 0 ? <p className="muted">No record matches “{query}”.</p> : null}
      {rows.length > 0 ? (
        <table className="record-table">
          <TableHead columns={['Title', 'Date', 'Size', 'Category', ...(view === 'trash' ? ['Deleted for good on'] : [])]} />
          <tbody>
            {rows.map((row) => (
              <RecordRow
                key={row.summary.id}
                row={row}
                view={view}
                panel={panel?.recordId === row.summary.id ? panel.kind : null}
                isOpening={open.isPending && open.variables === row.summary.id}
                isBusy={(trash.isPending && trash.variables.summary.id === row.summary.id) || (restore.isPending && restore.variables.summary.id === row.summary.id)}
                isDeleting={remove.isPending && remove.variables === row.summary.id}
                canChange={canChange}
                onShare={onShare ? () => onShare(row) : undefined}
                onOpen={() => {
                  openedFrom.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
                  setNotice(null);
                  open.mutate(row.summary.id);
                }}
                onPanel={(kind) => setPanel(kind ? { recordId: row.summary.id, kind } : null)}
                onMoved={(message) => {
                  setPanel(null);
                  setNotice(message);
                }}
                onTrash={() => trash.mutate(row)}
                onRestore={() => restore.mutate(row)}
                onConfirmDelete={() => remove.mutate(row.summary.id)}
              />
            ))}
          </tbody>
        </table>
      ) : null}
      {isOrdering ? null : <ShowMore list={list} />}
      {viewing ? <RecordViewer record={viewing} onClose={() => setViewing(null)} returnFocusTo={openedFrom.current} /> : null}
    </section>
  );
}

function titleOf(row: ListedRecord): string {
  return 'metadata' in row.opened ? row.opened.metadata.title : '';
}

interface RecordRowProps {
  row: ListedRecord;
  view: RecordListView;
  panel: NonNullable<Panel>['kind'] | null;
  isOpening: boolean;
  isBusy: boolean;
  isDeleting: boolean;
  canChange: boolean;
  onShare?(): void;
  onOpen(): void;
  onPanel(kind: NonNullable<Panel>['kind'] | null): void;
  onMoved(message: string): void;
  onTrash(): void;
  onRestore(): void;
  onConfirmDelete(): void;
}

function RecordRow({ row, view, panel, isOpening, isBusy, isDeleting, canChange, onShare, onOpen, onPanel, onMoved, onTrash, onRestore, onConfirmDelete }: RecordRowProps) {
  const { summary, opened } = row;
  // Title, date, size, category, (in the trash) the day it goes for good, and the actions.
  const columnCount = view === 'trash' ? 6 : 5;
  if ('error' in opened) {
    return (
      <tr>
        <td colSpan={columnCount}>
          <Alert tone="error">A record could not be opened: {opened.error}</Alert>
        </td>
      </tr>
    );
  }
  const { title, date, category } = opened.metadata;
  const isTrash = view === 'trash';
  return (
    <>
      <tr data-testid="record-row">
        <td>{title}</td>
        <td data-label="Date">{date}</td>
        <td data-label="Size">{formatBytes(summary.size)}</td>
        <td data-label="Category">{CATEGORY_LABELS[category]}</td>
        {isTrash ? <td data-label="Deleted for good on">{trashEndsOn(summary.trashedAt)}</td> : null}
        <td className="row">
          {panel === 'confirm-delete' ? (
            <>
              <span>Delete “{title}” for good?</span>
              <Button type="button" variant="danger" isBusy={isDeleting} onClick={onConfirmDelete}>
                Yes, delete
              </Button>
              <Button type="button" variant="secondary" onClick={() => onPanel(null)}>
                Keep
              </Button>
            </>
          ) : (
            <>
              <Button type="button" isBusy={isOpening} onClick={onOpen} aria-label={`Open ${title}`}>
                Open
              </Button>
              {canChange && !isTrash && onShare ? (
                <Button type="button" variant="secondary" onClick={onShare} aria-label={`Share ${title}`}>
                  Share
                </Button>
              ) : null}
              {canChange && !isTrash ? (
                <>
                  <Button type="button" variant="secondary" onClick={() => onPanel(panel === 'edit' ? null : 'edit')} aria-label={`Edit ${title}`}>
                    Edit
                  </Button>
                  <Button type="button" variant="secondary" onClick={() => onPanel(panel === 'move' ? null : 'move')} aria-label={`Move ${title}`}>
                    Move
                  </Button>
                  <Button type="button" variant="secondary" isBusy={isBusy} onClick={onTrash} aria-label={`Delete ${title}`}>
                    Delete
                  </Button>
                </>
              ) : null}
              {canChange && isTrash ? (
                <>
                  <Button type="button" variant="secondary" isBusy={isBusy} onClick={onRestore} aria-label={`Restore ${title}`}>
                    Restore
                  </Button>
                  <Button type="button" variant="secondary" onClick={() => onPanel('confirm-delete')} aria-label={`Delete ${title} now`}>
                    Delete now
                  </Button>
                </>
              ) : null}
            </>
          )}
        </td>
      </tr>
      {panel === 'edit' ? (
        <tr>
          <td colSpan={columnCount}>
            <RecordEditForm summary={summary} metadata={opened.metadata} onDone={() => onPanel(null)} />
          </td>
        </tr>
      ) : null}
      {panel === 'move' ? (
        <tr>
          <td colSpan={columnCount}>
            <MoveRecordForm summary={summary} title={title} onDone={onMoved} onCancel={() => onPanel(null)} />
          </td>
        </tr>
      ) : null}
    </>
  );
}
