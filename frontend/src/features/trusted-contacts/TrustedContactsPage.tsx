/**
 * Trusted contacts (docs/protocol.md "Trusted contacts"): the people a patient names to read their
 * records after a wait, when the patient cannot be reached; and, for the caller as someone's
 * contact, the request and the released records. The server releases the contact's wraps only
 * after the wait; everything is opened in this browser.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { TRUSTED_CONTACT_MAX_WAIT_DAYS, TRUSTED_CONTACT_MIN_WAIT_DAYS, type TrustedContact } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { trustedContactKeys } from '../../api/trusted-contacts.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { useFolders } from '../records/useRecordQueries.js';
import { NameContactForm } from './NameContactForm.js';
import { ReleasedRecords } from './ReleasedRecords.js';
import { RenewContact } from './RenewContact.js';

export function TrustedContactsPage() {
  const { user, trustedContacts } = useSession();
  const list = useQuery({ queryKey: trustedContactKeys.list(), queryFn: () => trustedContacts.list(), refetchOnWindowFocus: 'always' });
  const mine = (list.data?.items ?? []).filter((contact) => contact.patientId === user?.id);
  const namedMe = (list.data?.items ?? []).filter((contact) => contact.contactId === user?.id);
  return (
    <div className="stack trusted-contacts">
      <section className="card wide" aria-labelledby="trusted-contacts-title">
        <h1 id="trusted-contacts-title" tabIndex={-1}>
          Trusted contacts
        </h1>
        <p className="muted">
          People you trust can ask to read your records if you cannot be reached. They get access only after the wait you choose, and you can refuse at any
          time before. You are told at once when someone asks.
        </p>
        {list.error ? <Alert tone="error">{describeError(list.error)}</Alert> : null}
        <h2>Your trusted contacts</h2>
        {list.data && mine.length === 0 ? <p className="muted">You have named no trusted contact.</p> : null}
        <ul className="stack" aria-label="Your trusted contacts">
          {mine.map((contact) => (
            <NamedContact key={contact.id} contact={contact} />
          ))}
        </ul>
        <NameContactForm namedIds={new Set(mine.map((contact) => contact.contactId))} />
      </section>
      <section className="card wide" aria-labelledby="named-me-title">
        <h2 id="named-me-title">People who named you</h2>
        {list.data && namedMe.length === 0 ? <p className="muted">Nobody has named you as a trusted contact.</p> : null}
        <ul className="stack" aria-label="People who named you">
          {namedMe.map((contact) => (
            <NamedMe key={contact.id} contact={contact} />
          ))}
        </ul>
      </section>
    </div>
  );
}

const day = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '');

/** A contact the patient named: where the request stands, refuse, change the wait, remove. */
function NamedContact({ contact }: { contact: TrustedContact }) {
  const { trustedContacts } = useSession();
  const folders = useFolders();
  const queryClient = useQueryClient();
  const [wait, setWait] = useState(String(contact.waitDays));
  const after = () => invalidateAfter(queryClient, 'trustedContactChanged');
  const refuse = useMutation({ mutationFn: () => trustedContacts.refuse(contact.id), onSuccess: after });
  const remove = useMutation({ mutationFn: () => trustedContacts.remove(contact.id), onSuccess: after });
  const change = useMutation({ mutationFn: () => trustedContacts.changeWait(contact.id, Number(wait)), onSuccess: after });
  const folderName = contact.folderId ? (folders.data?.find((folder) => folder.id === contact.folderId)?.name ?? 'one folder') : null;
  const error = refuse.error ?? remove.error ?? change.error;
  const waitId = `wait-${contact.id}`;
  return (
    <li className="stack" data-testid="trusted-contact" aria-label={contact.contactName}>
      <h3>{contact.contactName}</h3>
      <p>
        May read {folderName ? `the folder “${folderName}”` : 'all your records'} · wait {contact.waitDays} day{contact.waitDays === 1 ? '' : 's'}
      </p>
      <p data-testid="contact-status" role="status">
        {contact.status === 'standby' ? 'Has not asked for access.' : null}
        {contact.status === 'waiting' ? `Asked for access on ${day(contact.requestedAt)}: access opens on ${day(contact.releasesAt)} unless you refuse.` : null}
        {contact.status === 'released' ? `Has access since ${day(contact.releasesAt)}.` : null}
        {contact.refusedAt && contact.status === 'standby' ? ` You refused the last request on ${day(contact.refusedAt)}.` : null}
      </p>
      {contact.isWrapStale ? <RenewContact contact={contact} /> : null}
      {error ? <Alert tone="error">{describeError(error)}</Alert> : null}
      <div className="row">
        {contact.status !== 'standby' ? (
          <Button type="button" variant="danger" isBusy={refuse.isPending} onClick={() => refuse.mutate()}>
            {contact.status === 'waiting' ? 'Refuse the request' : 'End the access'}
          </Button>
        ) : null}
        <Button type="button" variant="secondary" isBusy={remove.isPending} onClick={() => remove.mutate()}>
          Remove {contact.contactName}
        </Button>
      </div>
      <form
        className="row"
        onSubmit={(event: SubmitEvent) => {
          event.preventDefault();
          change.mutate();
        }}
      >
        <label htmlFor={waitId}>Wait (days)</label>
        <input id={waitId} type="number" inputMode="numeric" min={TRUSTED_CONTACT_MIN_WAIT_DAYS} max={TRUSTED_CONTACT_MAX_WAIT_DAYS} value={wait} onChange={(event) => setWait(event.target.value)} />
        <Button type="submit" variant="secondary" isBusy={change.isPending} disabled={Number(wait) === contact.waitDays}>
          Change the wait
        </Button>
      </form>
    </li>
  );
}

/** A patient who named the caller: ask for access, see the wait, read once released. */
function NamedMe({ contact }: { contact: TrustedContact }) {
  const { trustedContacts } = useSession();
  const queryClient = useQueryClient();
  const ask = useMutation({ mutationFn: () => trustedContacts.request(contact.id), onSuccess: () => invalidateAfter(queryClient, 'trustedContactChanged') });
  return (
    <li className="stack" data-testid="named-me" aria-label={contact.patientName}>
      <h3>{contact.patientName}</h3>
      <p data-testid="request-status" role="status">
        {contact.status === 'standby' ? `You may ask to read ${contact.scope === 'all' ? 'their records' : 'a folder of their records'}; ${contact.patientName} is told at once and may refuse within ${contact.waitDays} day${contact.waitDays === 1 ? '' : 's'}.` : null}
        {contact.status === 'standby' && contact.refusedAt ? ` ${contact.patientName} refused your last request on ${day(contact.refusedAt)}.` : null}
        {contact.status === 'waiting' ? `You asked on ${day(contact.requestedAt)}. Access opens on ${day(contact.releasesAt)} unless ${contact.patientName} refuses.` : null}
        {contact.status === 'released' ? `You can read these records (read-only).` : null}
      </p>
      {ask.error ? <Alert tone="error">{describeError(ask.error)}</Alert> : null}
      {contact.status === 'standby' ? (
        <div className="row">
          <Button type="button" isBusy={ask.isPending} onClick={() => ask.mutate()}>
            Ask for access
          </Button>
        </div>
      ) : null}
      {contact.status === 'released' ? <ReleasedRecords contact={contact} /> : null}
    </li>
  );
}
