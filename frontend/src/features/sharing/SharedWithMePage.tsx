/**
 * A doctor's view: active consents received, newest first a page at a time, grouped by patient (their name, when each share was
 * made, "New" for a share of the last week), with the records each covers. Read-only; it asks
 * again on focus and every SHARED_REFRESH_MS, so a revocation shows without a reload. A folder
 * share shows the folder's name from its folder label (docs/protocol.md "Folder labels"), opened
 * here with the doctor's private key; "Shared folder" for a consent made without one.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Consent, ConsentPage } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { consentKeys } from '../../api/consents.js';
import { Alert } from '../../ui/Alert.js';
import { ShowMore } from '../../ui/ShowMore.js';
import { useSession } from '../auth/session.js';
import { RecordList } from '../records/RecordList.js';
import { SHARED_REFRESH_MS } from '../records/useRecordQueries.js';
import { scopeText, untilText } from './ConsentsPage.js';

export function SharedWithMePage() {
  const { consents } = useSession();
  const received = useInfiniteQuery({
    queryKey: consentKeys.list('active'),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page: ConsentPage) => page.nextCursor ?? undefined,
    queryFn: ({ pageParam }) => consents.list({ status: 'active', cursor: pageParam, limit: SHARES_PAGE }),
    refetchOnWindowFocus: 'always',
    refetchInterval: SHARED_REFRESH_MS,
  });
  const shares = received.data?.pages.flatMap((page) => page.items) ?? [];
  const labels = useFolderLabels(shares);
  const [ended, setEnded] = useState<string | null>(null);
  const byPatient = new Map<string, Consent[]>();
  for (const consent of shares) byPatient.set(consent.patientId, [...(byPatient.get(consent.patientId) ?? []), consent]);

  return (
    <div className="records-page">
      <h1 tabIndex={-1}>Shared with me</h1>
      {received.error ? <Alert tone="error">{describeError(received.error)}</Alert> : null}
      {ended ? <Alert tone="error">{ended}</Alert> : null}
      {received.data && byPatient.size === 0 ? <p className="muted">No patient shares records with you at the moment.</p> : null}
      {[...byPatient.entries()].map(([patientId, consents]) => (
        <section key={patientId} className="stack" aria-label={consents[0].patientName} data-testid="shared-patient">
          <h2>{consents[0].patientName}</h2>
          <ul>
            {consents.map((consent) => (
              <li key={consent.id}>
                {isNew(consent) ? <span className="badge badge-ok">New</span> : null} {consent.scope === 'folder' ? <FolderName consent={consent} opened={labels} /> : scopeText(consent)} · shared on {new Date(consent.createdAt).toLocaleDateString()} ·{' '}
                {untilText(consent)}
                {consent.purpose ? ` · ${consent.purpose}` : ''}
                {consent.staleWraps > 0 ? (
                  <p className="alert alert-info" data-testid="stale-wraps">
                    {consent.staleWraps} record{consent.staleWraps === 1 ? ' was' : 's were'} shared with your previous key and cannot be opened with your new
                    one. {consents[0].patientName} must compare your new key fingerprint with you and share again; their browser offers it on their next visit.
                  </p>
                ) : null}
              </li>
            ))}
          </ul>
          <RecordList ownerId={patientId} canChange={false} title={`Records of ${consents[0].patientName}`} onAccessEnded={setEnded} />
        </section>
      ))}
      <ShowMore list={received} />
    </div>
  );
}

/** Shares asked for at a time: each patient on the page shows a list of their records, so a page stays short. */
const SHARES_PAGE = 20;

/** The folder labels of the listed consents, opened in the vault: consent id to name, or null when one could not be opened. */
function useFolderLabels(received: Consent[]): Map<string, string | null> | undefined {
  const { user, vault } = useSession();
  const labelled = received.filter((consent) => consent.folderLabel !== null);
  const opened = useQuery({
    queryKey: consentKeys.folderLabels(labelled.map((consent) => `${consent.id}:${consent.folderLabel?.wrap.slice(0, 16) ?? ''}`)),
    enabled: user !== null && labelled.length > 0,
    queryFn: async () => new Map((await vault.openFolderLabels(user?.id ?? '', labelled)).map((label) => [label.consentId, label.name])),
  });
  return opened.data;
}

/** The shared folder's name in words: opened, not openable (changed, or sealed for a key the doctor replaced), or never sent. */
function FolderName({ consent, opened }: { consent: Consent; opened: Map<string, string | null> | undefined }) {
  if (consent.folderLabel === null) return <>Shared folder</>;
  if (opened === undefined) return <>Folder …</>;
  const name = opened.get(consent.id);
  return name ? <span data-testid="shared-folder-name">Folder “{name}”</span> : <span data-testid="shared-folder-name">Folder (name could not be decrypted)</span>;
}

/** A share made in the last week: shown with a "New" badge. */
const NEW_FOR_MS = 7 * 86_400_000;

function isNew(consent: Pick<Consent, 'createdAt'>): boolean {
  return Date.now() - new Date(consent.createdAt).getTime() < NEW_FOR_MS;
}
