/** The consents a patient granted, newest first a page at a time: active, expired, revoked; revoke with confirmation. */
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Consent, ConsentPage, ConsentStatus } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { allConsents, consentKeys } from '../../api/consents.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { ShowMore } from '../../ui/ShowMore.js';
import { TableHead } from '../../ui/TableHead.js';
import { useSession } from '../auth/session.js';
import { useRecordTitles } from '../audit/trail-names.js';
import { useFolders } from '../records/useRecordQueries.js';
import { useTrust } from '../trust/TrustProvider.js';

export function scopeText(consent: Pick<Consent, 'scope'>): string {
  return consent.scope === 'all' ? 'All records' : consent.scope === 'folder' ? 'One folder' : 'One record';
}

export function untilText(consent: Pick<Consent, 'expiresAt'>): string {
  return consent.expiresAt ? new Date(consent.expiresAt).toLocaleDateString() : 'Until revoked';
}

/**
 * What a consent shares, named for the patient who granted it: the folder's and the record's
 * names are opened in this browser (the server holds them sealed), the scope's word until then.
 */
function sharedText(consent: Consent, folderNames: ReadonlyMap<string, string>, recordTitles: ReadonlyMap<string, string>): string {
  const name = consent.folderId ? folderNames.get(consent.folderId) : consent.recordId ? recordTitles.get(consent.recordId) : undefined;
  if (!name) return scopeText(consent);
  return consent.scope === 'folder' ? `The folder “${name}”` : `“${name}”`;
}

export function ConsentsPage() {
  const { consents } = useSession();
  const folders = useFolders();
  const folderNames = new Map((folders.data ?? []).map((folder) => [folder.id, folder.name]));
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<ConsentStatus | ''>('');
  const [confirming, setConfirming] = useState<string | null>(null);
  const list = useInfiniteQuery({
    queryKey: consentKeys.list(status || null),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page: ConsentPage) => page.nextCursor ?? undefined,
    queryFn: ({ pageParam }) => consents.list({ status: status || undefined, cursor: pageParam }),
  });
  const shown = list.data?.pages.flatMap((page) => page.items);
  const titles = useRecordTitles((shown ?? []).flatMap((consent) => (consent.recordId ? [consent.recordId] : [])));
  const recordTitles = titles.data ?? new Map<string, string>();
  const { forgetShare, checkOwnChain } = useTrust();
  const revoke = useMutation({
    // Forgotten first: from the patient's choice on, this browser gives the doctor no new record there, whatever the server says after.
    mutationFn: async (consent: Consent) => {
      await forgetShare(consent, () => allConsents(consents, 'active'));
      return consents.revoke(consent.id);
    },
    onSuccess: async () => {
      setConfirming(null);
      await invalidateAfter(queryClient, 'consentRevoked');
      // The trail's head past the revocation is kept, so an older copy of the kept shares (from before it) is caught as one.
      await checkOwnChain().catch(() => undefined);
    },
  });

  return (
    <section className="card wide" aria-labelledby="consents-title">
      <h1 id="consents-title" tabIndex={-1}>Who can see your records</h1>
      <label>
        Show
        <select value={status} onChange={(event) => setStatus(event.target.value as ConsentStatus | '')}>
          <option value="">All consents</option>
          <option value="active">Active</option>
          <option value="expired">Expired</option>
          <option value="revoked">Revoked</option>
        </select>
      </label>
      {list.error ? <Alert tone="error">{describeError(list.error)}</Alert> : null}
      {revoke.error ? <Alert tone="error">{describeError(revoke.error)}</Alert> : null}
      {shown && shown.length === 0 ? <p className="muted">No consents here.</p> : null}
      {shown && shown.length > 0 ? (
        <table className="record-table">
          <TableHead columns={['Doctor', 'Shares', 'Until', 'Status']} />
          <tbody>
            {shown.map((consent) => (
              <tr key={consent.id} data-testid="consent-row">
                <td>{consent.doctorName}</td>
                <td data-label="Shares">
                  <span data-testid="consent-scope">{sharedText(consent, folderNames, recordTitles)}</span>
                  {consent.purpose ? <span className="muted"> · {consent.purpose}</span> : null}
                </td>
                <td data-label="Until">{untilText(consent)}</td>
                <td data-label="Status">
                  <span className="capitalize">{consent.status}</span>
                  {consent.doctorStatus !== 'approved' ? (
                    <p className="badge badge-bad" data-testid="doctor-standing">
                      {consent.doctorStatus === 'suspended' ? 'Suspended by the operator: cannot read your records' : 'Not verified by an operator: cannot read your records'}
                    </p>
                  ) : null}
                </td>
                <td>
                  {consent.status !== 'active' ? null : confirming === consent.id ? (
                    <div className="stack">
                      <span>
                        Revoke access for {consent.doctorName}? From now on they cannot fetch these records. Copies they already downloaded cannot be
                        recalled.
                      </span>
                      <div className="row">
                        <Button type="button" variant="danger" isBusy={revoke.isPending} onClick={() => revoke.mutate(consent)}>
                          Yes, revoke
                        </Button>
                        <Button type="button" variant="secondary" onClick={() => setConfirming(null)}>
                          Keep
                        </Button>
                      </div>
                    </div>
                  ) : (
                    <Button type="button" variant="secondary" onClick={() => setConfirming(consent.id)} aria-label={`Revoke ${consent.doctorName}`}>
                      Revoke
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <ShowMore list={list} />
    </section>
  );
}
