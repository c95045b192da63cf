/**
 * An auditor's "whose trail" filter (issue 15): any account, not only those on the page of the
 * trail shown. Without words, the accounts come a page at a time from GET /audit/accounts, in
 * id order; with words, the server finds them (POST /audit/accounts/search: the words go in the
 * body, never in a URL), so an account is found wherever it sits in the id order. "Show more
 * accounts" fetches the next page of either.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { AUDIT_ACCOUNTS_PAGE_MAX, AUDIT_ACCOUNTS_SEARCH_MAX_CHARS, type AuditPerson } from '@phr/shared-types';
import { auditKeys } from '../../api/audit.js';
import { describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { personName } from './trail-names.js';

/** How long typing must pause before the words are searched for. */
const SEARCH_PAUSE_MS = 250;

export function WhoseTrailFilter({ subjectId, onChange }: { subjectId: string; onChange(subjectId: string): void }) {
  const { audit } = useSession();
  const [search, setSearch] = useState('');
  const [words, setWords] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setWords(search.trim().toLowerCase().split(/\s+/).filter(Boolean).join(' ')), SEARCH_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [search]);
  const countId = useId();
  const accounts = useInfiniteQuery({
    queryKey: auditKeys.accounts(words || undefined),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: { nextAfter: string | null }) => last.nextAfter ?? undefined,
    queryFn: ({ pageParam }) =>
      words ? audit.searchAccounts({ q: words, after: pageParam, limit: AUDIT_ACCOUNTS_PAGE_MAX }) : audit.accounts({ after: pageParam, limit: AUDIT_ACCOUNTS_PAGE_MAX }),
  });
  const loaded = (accounts.data?.pages ?? []).flatMap((page) => page.accounts);
  const shown = matching(loaded, words, subjectId);
  return (
    <fieldset className="whose-trail">
      <legend>Whose trail</legend>
      <label>
        Find an account
        <input type="search" value={search} maxLength={AUDIT_ACCOUNTS_SEARCH_MAX_CHARS} aria-describedby={countId} onChange={(event) => setSearch(event.target.value)} />
      </label>
      <label>
        Account
        <select value={subjectId} onChange={(event) => onChange(event.target.value)}>
          <option value="">Everyone’s</option>
          {shown.map((person) => (
            <option key={person.id} value={person.id}>
              {personName(person)} ({person.role})
            </option>
          ))}
        </select>
      </label>
      <p className="muted" id={countId} data-testid="accounts-count">
        {accounts.isPending ? 'Loading accounts…' : `${shown.length} ${words ? 'found' : `of ${loaded.length} accounts loaded`}${accounts.hasNextPage ? '; more to load' : ''}`}
      </p>
      {accounts.hasNextPage ? (
        <Button type="button" variant="secondary" isBusy={accounts.isFetchingNextPage} onClick={() => void accounts.fetchNextPage()}>
          Show more accounts
        </Button>
      ) : null}
      {accounts.error ? <Alert tone="error">{describeError(accounts.error)}</Alert> : null}
    </fieldset>
  );
}

/** The accounts whose name or role holds the search words, by name; the one chosen stays listed. */
function matching(accounts: readonly AuditPerson[], search: string, subjectId: string): AuditPerson[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (person: AuditPerson) => {
    const text = `${personName(person)} ${person.role}`.toLowerCase();
    return person.id === subjectId || words.every((word) => text.includes(word));
  };
  return accounts.filter(matches).sort((a, b) => personName(a).localeCompare(personName(b)) || a.id.localeCompare(b.id));
}
