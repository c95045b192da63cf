/**
 * The audit trail in the portal (DESIGN 7): who did what to which record, in plain words
 * (people by name, records by the titles decrypted here, devices by a friendly name), allowed
 * or denied, with filters from lists and export; the technical columns behind a toggle. The
 * patient's own chain is recomputed here, in the browser, and checked against the chain head.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { AUDIT_ACTIONS, AUDIT_SYSTEM_SUBJECT, type AuditAction, type AuditEvent, type AuditPerson, type AuditExportFormat, type AuditOutcome, type AuditQuery } from '@phr/shared-types';
import { auditKeys } from '../../api/audit.js';
import { describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { TableHead } from '../../ui/TableHead.js';
import { useSession } from '../auth/session.js';
import { saveFile } from '../records/open-record.js';
import { judgeShownRows } from '../trust/audit-checkpoint.js';
import { auditFailure } from '../trust/sign-in-checks.js';
import { useTrust } from '../trust/TrustProvider.js';
import { actionLabel, describeEvent } from './action-wording.js';
import { deviceName } from './device-name.js';
import { actorName, personName, recordName, useRecordTitles, useTrailPeople } from './trail-names.js';
import { WhoseTrailFilter } from './WhoseTrailFilter.js';
import { AccessReportPanel } from './AccessReportPanel.js';
import { FhirExportButtons } from './FhirExportButtons.js';

interface Filters {
  action: AuditAction | '';
  outcome: AuditOutcome | '';
  from: string;
  to: string;
  actorId: string;
  recordId: string;
  /** Auditors: whose trail. */
  subjectId: string;
}

function toQuery(filters: Filters): AuditQuery {
  return {
    action: filters.action || undefined,
    outcome: filters.outcome || undefined,
    actorId: filters.actorId || undefined,
    recordId: filters.recordId || undefined,
    subjectId: filters.subjectId || undefined,
    from: filters.from ? new Date(`${filters.from}T00:00:00`).toISOString() : undefined,
    to: filters.to ? new Date(`${filters.to}T23:59:59.999`).toISOString() : undefined,
  };
}

export function AuditPage() {
  const { user, audit } = useSession();
  const [filters, setFilters] = useState<Filters>({ action: '', outcome: '', from: '', to: '', actorId: '', recordId: '', subjectId: '' });
  const [isShowingDetails, setShowingDetails] = useState(false);
  const isAuditor = user?.role === 'auditor';
  const query = toQuery(filters);
  const [pages, setPages] = useState(1);
  const trail = useQuery({
    queryKey: auditKeys.trail(query, pages),
    queryFn: async () => {
      const rows: AuditEvent[] = [];
      let cursor: string | undefined;
      let more = false;
      for (let page = 0; page < pages; page++) {
        const result = await audit.list({ ...query, cursor, limit: 50 });
        rows.push(...result.items);
        cursor = result.nextCursor ?? undefined;
        more = cursor !== undefined;
        if (!cursor) break;
      }
      return { rows, more };
    },
  });
  // Names: the people of the trail shown (an auditor's all-trails view: those on the page), record titles decrypted here.
  const trailPeople = useTrailPeople(filters.subjectId || undefined);
  const pagePeople = useTrailPeople(undefined, isAuditor ? (trail.data?.rows ?? []).flatMap((row) => [row.subjectId, ...(row.actorId ? [row.actorId] : [])]) : []);
  const people = new Map([...(trailPeople.data ?? []), ...(pagePeople.data ?? [])]);
  // The records the rows shown on this visit named (the Record filter offers them), looked up by id, not every record held.
  const [namedRecords, setNamedRecords] = useState<readonly string[]>([]);
  useEffect(() => {
    const named = new Set([...(trail.data?.rows ?? []).flatMap((row) => (row.recordId ? [row.recordId] : [])), ...(filters.recordId ? [filters.recordId] : [])]);
    setNamedRecords((known) => ([...named].every((id) => known.includes(id)) ? known : [...new Set([...known, ...named])]));
  }, [trail.data, filters.recordId]);
  const titles = useRecordTitles(namedRecords);
  const titleOf = titles.data ?? new Map<string, string>();
  const { checkOwnChain, raise } = useTrust();
  // From the head this account's browsers verified before (sealed client state): only the rows since are fetched.
  const chain = useQuery({ queryKey: auditKeys.chain(), queryFn: checkOwnChain });
  const isWholeTrail = Object.values(query).every((value) => value === undefined);
  // The rows shown must be the chain's too: one older than the kept head was not fetched again by the check.
  const shown = useQuery({
    queryKey: auditKeys.shownRows(query, pages, [trail.dataUpdatedAt, chain.dataUpdatedAt]),
    enabled: trail.data !== undefined && chain.data !== undefined,
    queryFn: async () => {
      const verdict = await judgeShownRows(trail.data?.rows ?? [], user?.id ?? '', chain.data?.rows ?? [], isWholeTrail ? { isCut: trail.data?.more ?? false, chain: audit } : undefined);
      if (verdict && !verdict.isIntact) raise(auditFailure(verdict.firstBadSeq, verdict.problem));
      return verdict;
    },
  });
  const chainVerdict = chain.data && shown.data !== undefined ? (chain.data.verdict.isIntact && shown.data ? shown.data : chain.data.verdict) : undefined;
  const exporting = useMutation({
    mutationFn: async (format: AuditExportFormat) => {
      const body = await audit.export({ ...query, format });
      const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
      saveFile(new Blob([text], { type: format === 'csv' ? 'text/csv' : 'application/json' }), `audit-trail.${format}`);
    },
  });
  const set = (change: Partial<Filters>) => {
    setPages(1);
    setFilters({ ...filters, ...change });
  };

  return (
    <section className="card wide stack" aria-labelledby="audit-title">
      <h1 id="audit-title" tabIndex={-1}>{user?.role === 'doctor' ? 'Your access history' : 'Audit trail'}</h1>
      {chain.data && chainVerdict ? (
        chainVerdict.isIntact ? (
          <p className="badge badge-ok" data-testid="chain-status">
            Chain verified in this browser: {chain.data.head.seq} entries, unbroken
          </p>
        ) : (
          <p className="badge badge-bad" data-testid="chain-status" role="alert">
            Chain broken at entry {chainVerdict.firstBadSeq}: {chainVerdict.problem}
          </p>
        )
      ) : (
        <p className="muted">Verifying the chain…</p>
      )}
      <div className="row filters">
        {isAuditor ? <WhoseTrailFilter subjectId={filters.subjectId} onChange={(subjectId) => set({ subjectId, actorId: '' })} /> : null}
        <label>
          Person
          <select value={filters.actorId} onChange={(event) => set({ actorId: event.target.value })}>
            <option value="">Anyone</option>
            {[...(trailPeople.data?.values() ?? [])].map((person) => (
              <option key={person.id} value={person.id}>
                {person.id === user?.id ? 'You' : personName(person)}
              </option>
            ))}
          </select>
        </label>
        {user?.role === 'patient' ? (
          <label>
            Record
            <select value={filters.recordId} onChange={(event) => set({ recordId: event.target.value })}>
              <option value="">Any</option>
              {[...titleOf].sort(([, a], [, b]) => a.localeCompare(b)).map(([id, title]) => (
                <option key={id} value={id}>
                  {title}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label>
          Action
          <select value={filters.action} onChange={(event) => set({ action: event.target.value as AuditAction | '' })}>
            <option value="">Any</option>
            {AUDIT_ACTIONS.map((action) => (
              <option key={action} value={action}>
                {actionLabel(action)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Outcome
          <select value={filters.outcome} onChange={(event) => set({ outcome: event.target.value as AuditOutcome | '' })}>
            <option value="">Any</option>
            <option value="allow">Allowed</option>
            <option value="deny">Denied</option>
          </select>
        </label>
        <label>
          From
          <input type="date" value={filters.from} onChange={(event) => set({ from: event.target.value })} />
        </label>
        <label>
          To
          <input type="date" value={filters.to} onChange={(event) => set({ to: event.target.value })} />
        </label>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={isShowingDetails} onChange={(event) => setShowingDetails(event.target.checked)} />
        Show technical details
      </label>
      <div className="row">
        <Button type="button" variant="secondary" isBusy={exporting.isPending && exporting.variables === 'csv'} onClick={() => exporting.mutate('csv')}>
          Export CSV
        </Button>
        <Button type="button" variant="secondary" isBusy={exporting.isPending && exporting.variables === 'json'} onClick={() => exporting.mutate('json')}>
          Export JSON
        </Button>
        <FhirExportButtons patient={isAuditor ? filters.subjectId || undefined : undefined} />
      </div>
      {user?.role === 'patient' ? <AccessReportPanel /> : null}
      {trail.error ? <Alert tone="error">{describeError(trail.error)}</Alert> : null}
      {exporting.error ? <Alert tone="error">{describeError(exporting.error)}</Alert> : null}
      {trail.data && trail.data.rows.length === 0 ? <p className="muted">No entries match.</p> : null}
      {trail.data && trail.data.rows.length > 0 ? (
        <table className="record-table audit-table">
          <TableHead
            columns={[
              'When',
              ...(isAuditor ? ['Whose trail'] : []),
              'What happened',
              'Outcome',
              ...(isShowingDetails ? ['Device', 'IP', 'Action code', 'Entry', 'Actor id', 'Record id', 'Request id'] : []),
            ]}
            actions={false}
          />
          <tbody>
            {trail.data.rows.map((row) => (
              <tr key={`${row.subjectId}-${row.seq}`} className={row.outcome === 'deny' ? 'denied' : undefined} data-testid="audit-row">
                <td data-label="When">{new Date(row.occurredAt).toLocaleString()}</td>
                {isAuditor ? <td data-label="Whose trail" data-testid="audit-subject">{subjectName(row, people)}</td> : null}
                <td data-label="What happened" data-testid="audit-sentence">
                  {describeEvent(row, { actor: actorName(row, user, people), record: recordName(row.recordId, titleOf, user?.role === 'patient') })}
                  {row.actorRole && row.actorRole !== 'system' && row.actorId !== user?.id ? <span className="muted"> ({row.actorRole})</span> : null}
                </td>
                <td data-label="Outcome">
                  <strong>{row.outcome === 'deny' ? 'Denied' : 'Allowed'}</strong>
                  {row.reason ? <span className="muted"> · {row.reason}</span> : null}
                </td>
                {isShowingDetails ? (
                  <>
                    <td data-label="Device">{deviceName(row.userAgent)}</td>
                    <td data-label="IP">{row.ip ?? ''}</td>
                    <td data-label="Action code">
                      <code>{row.action}</code>
                    </td>
                    <td data-label="Entry">#{row.seq}</td>
                    <td data-label="Actor id" className="user-agent">{row.actorId ?? ''}</td>
                    <td data-label="Record id" className="user-agent">{row.recordId ?? ''}</td>
                    <td data-label="Request id" className="user-agent">
                      {row.requestId ?? ''}
                      {row.userAgent ? <div className="muted">{row.userAgent}</div> : null}
                    </td>
                  </>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {trail.data?.more ? (
        <Button type="button" variant="secondary" onClick={() => setPages(pages + 1)}>
          Show more
        </Button>
      ) : null}
    </section>
  );
}

/** Whose trail a row is in, for auditors: the account's name, or what is left of it. */
function subjectName(row: AuditEvent, people: ReadonlyMap<string, AuditPerson>): string {
  if (row.subjectId === AUDIT_SYSTEM_SUBJECT) return 'No account (unknown sign-in names)';
  const person = people.get(row.subjectId);
  return person ? personName(person) : 'An account no longer registered';
}
