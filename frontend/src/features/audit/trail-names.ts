/**
 * Names for the trail, all shown and none trusted: people's display names come from the
 * server (GET /audit/people) and are used for display only; record titles are decrypted here,
 * in the browser, with the record keys the patient holds, or a doctor's wraps of the records
 * still shared with them (the server cannot read them).
 */
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { AuditEvent, AuditPerson, Me } from '@phr/shared-types';
import { auditKeys } from '../../api/audit.js';
import { recordKeys } from '../../api/records.js';
import { useSession } from '../auth/session.js';
import { recordTitlesOf } from './record-titles.js';

/** Who acted, in words: "You", "Dr Sam Okafor", "The system", "Someone not signed in". */
export function actorName(event: Pick<AuditEvent, 'actorId' | 'actorRole'>, user: Pick<Me, 'id'> | null, people: ReadonlyMap<string, AuditPerson>): string {
  if (event.actorRole === 'system') return 'The system';
  if (!event.actorId) return 'Someone not signed in';
  if (event.actorId === user?.id) return 'You';
  const person = people.get(event.actorId);
  if (!person) return event.actorRole === 'doctor' ? 'A doctor no longer registered' : 'An account no longer registered';
  return personName(person);
}

/** A person's name as the portal shows it; doctors with their title. */
export function personName(person: Pick<AuditPerson, 'displayName' | 'role'>): string {
  return person.role === 'doctor' && !/^dr\.?\s/i.test(person.displayName) ? `Dr ${person.displayName}` : person.displayName;
}

/**
 * Which record, in words: its decrypted title, or what can be said without it (the owner holds
 * every title it still has, so a record it cannot name is gone; others hold none).
 */
export function recordName(recordId: string | null, titles: ReadonlyMap<string, string>, isOwner: boolean): string {
  if (!recordId) return 'records';
  return titles.get(recordId) ?? (isOwner ? 'a record no longer here' : 'a record');
}

/** The people of a trail: the subject's (default the caller's own), or, with `ids`, those the caller may know. */
export function useTrailPeople(subjectId: string | undefined, ids?: readonly string[]) {
  const { user, audit } = useSession();
  const idList = ids ? [...new Set(ids)].sort().slice(0, 100).join(',') : undefined;
  const query = idList !== undefined ? { ids: idList } : { subjectId };
  return useQuery({
    queryKey: auditKeys.people(query),
    enabled: user !== null && idList !== '',
    queryFn: async () => new Map((await audit.people(query)).people.map((person) => [person.id, person])),
  });
}

/** The titles of the records among `ids` (those a page names), for a patient or a doctor; none for other roles. */
export function useRecordTitles(ids: readonly string[]) {
  const { user, records, vault } = useSession();
  const queryClient = useQueryClient();
  const wanted = [...new Set(ids)].sort();
  return useQuery({
    queryKey: recordKeys.titles(wanted),
    enabled: user !== null && (user.role === 'patient' || user.role === 'doctor') && wanted.length > 0,
    staleTime: TITLES_FRESH_MS,
    // The titles already known stay shown while a page that names more records is looked up.
    placeholderData: (previous) => previous,
    queryFn: () => recordTitlesOf({ records, vault }, user ?? { id: '', role: 'patient' }, wanted, freshTitles(queryClient)),
  });
}

/** How long a looked-up title is used again without asking (a rename in another browser shows after this at most). */
const TITLES_FRESH_MS = 60_000;

/**
 * The titles that earlier look-ups found within TITLES_FRESH_MS and that no change has made stale
 * since (a change to records, shares or folders invalidates every look-up: api/invalidate.ts), so
 * a page that grows asks for its new records only.
 */
function freshTitles(queryClient: QueryClient): Map<string, string> {
  const known = new Map<string, string>();
  for (const query of queryClient.getQueryCache().findAll({ queryKey: recordKeys.allTitles() })) {
    const titles = query.state.data;
    if (query.isStaleByTime(TITLES_FRESH_MS) || !(titles instanceof Map)) continue;
    for (const [id, title] of titles as Map<string, string>) known.set(id, title);
  }
  return known;
}
