/**
 * The patient's emergency access (docs/protocol.md "Break-glass"): off, one folder or every
 * record; the time box; the holders (existing accounts found by email, each key proven in the key
 * directory and its numbers compared, as in the share dialog) and k of n. Saving makes a new
 * emergency key, its shares and the wraps in the crypto worker. When the API says a re-key is
 * needed (a clinician learned the key, or a record in scope has no wrap), it is done on this visit.
 * Patients may also hold others' shares: their pending requests are listed below.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type SubmitEvent } from 'react';
import { EMERGENCY_DEFAULT_HOURS, EMERGENCY_MAX_HOLDERS, EMERGENCY_MAX_HOURS, type EmergencyHolderCandidate, type EmergencyScope, type EmergencySetup } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { auditKeys } from '../../api/audit.js';
import { emergencyKeys } from '../../api/emergency.js';
import { refetchAfterChange } from '../../api/invalidate.js';
import { formatFingerprint } from '../../crypto/fingerprint.js';
import type { VerifiedBinding } from '../../crypto/trust-vault.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { allRecordsIn } from '../records/useRecordQueries.js';
import { ContactCheck } from '../sharing/ShareDialog.js';
import { useTrust } from '../trust/TrustProvider.js';
import { HolderRequests } from './HolderRequests.js';
import { breakStateText, REASON_LABELS, when } from './emergency-words.js';

/** A holder chosen on this page: the key proven in the key directory this session. */
interface ChosenHolder {
  id: string;
  displayName: string;
  role: string;
  proven: VerifiedBinding;
}

export function EmergencyPage() {
  const { emergency } = useSession();
  const setup = useQuery({ queryKey: emergencyKeys.setup(), queryFn: () => emergency.setup() });
  // Kept here: a save makes a new generation, and the form starts again from it.
  const [saved, setSaved] = useState<string | null>(null);
  return (
    <div className="stack emergency-page">
      <section className="card wide stack" aria-labelledby="emergency-title">
        <h1 id="emergency-title" tabIndex={-1}>
          Emergency access
        </h1>
        <p>
          If you cannot be asked, an approved clinician may break the glass to open the records you choose here, once the people you name release their
          shares of your emergency key. You and they are told at once, and an auditor reviews every break.
        </p>
        {setup.error ? <Alert tone="error">{describeError(setup.error)}</Alert> : null}
        {saved ? <Alert tone="success">{saved}</Alert> : null}
        {setup.data ? (
          <SetupForm key={`${setup.data.generation}-${setup.data.needsRekey}`} setup={setup.data} onSaved={setSaved} />
        ) : (
          <p className="muted">Loading your settings…</p>
        )}
      </section>
      <BreaksOfMine />
      <HolderRequests />
    </div>
  );
}

function SetupForm({ setup, onSaved }: { setup: EmergencySetup; onSaved(message: string | null): void }) {
  const { user, emergency, folders, records, vault } = useSession();
  const { proveKey, clientState } = useTrust();
  const queryClient = useQueryClient();
  const [scope, setScope] = useState<EmergencyScope>(setup.scope);
  const [folderId, setFolderId] = useState(setup.folderId ?? '');
  const [hours, setHours] = useState(String(setup.hours || EMERGENCY_DEFAULT_HOURS));
  const [threshold, setThreshold] = useState(String(setup.threshold ?? 1));
  const [holders, setHolders] = useState<ChosenHolder[]>([]);
  const folderList = useQuery({
    queryKey: emergencyKeys.folderNames(),
    queryFn: async () => vault.openFolderNames(user?.id ?? '', (await folders.list()).items),
  });
  // The holders already set up: each key proven again, and it must be the one compared when they were named.
  const kept = useQuery({
    queryKey: emergencyKeys.keptHolders(setup.generation),
    enabled: setup.holders.length > 0,
    retry: false,
    queryFn: async () =>
      Promise.all(
        setup.holders.map(async (holder) => {
          const proven = await proveKey(holder.holderId, holder.displayName, []);
          if (proven.fingerprint !== holder.fingerprint) throw new Error(`The key of ${holder.displayName} changed since you named them: remove them and name them again after comparing the new numbers.`);
          return { id: holder.holderId, displayName: holder.displayName, role: holder.role, proven };
        }),
      ),
  });
  useEffect(() => {
    if (kept.data) setHolders(kept.data);
  }, [kept.data]);

  const save = useMutation({
    mutationFn: async (settings: { scope: EmergencyScope; folderId: string; hours: number; threshold: number; holders: ChosenHolder[] }) => {
      if (!user) throw new Error('Sign in again');
      if (settings.scope === 'off') return emergency.configure({ scope: 'off', hours: settings.hours });
      if (settings.holders.length === 0) throw new Error('Name at least one holder');
      if (settings.scope === 'folder' && !settings.folderId) throw new Error('Choose the emergency folder');
      const inScope = await allRecordsIn(records, settings.scope === 'folder' ? settings.folderId : undefined);
      const material = await vault.createEmergencySetup(
        user.id,
        settings.holders.map((holder) => ({ id: holder.id, publicKey: holder.proven.publicKey })),
        settings.threshold,
        inScope,
      );
      const { fingerprint: _fingerprint, ...keyMaterial } = material;
      return emergency.configure({ scope: settings.scope, folderId: settings.scope === 'folder' ? settings.folderId : undefined, hours: settings.hours, ...keyMaterial });
    },
    onSuccess: async (answer) => {
      onSaved(answer.scope === 'off' ? 'Emergency access is off.' : `Saved: a new emergency key, ${answer.threshold} of ${answer.holders.length} holders needed.`);
      await refetchAfterChange(queryClient, emergencyKeys.all);
      await refetchAfterChange(queryClient, auditKeys.all);
    },
  });

  const verifiedHolder = (holder: ChosenHolder) => clientState?.contacts[holder.id]?.fingerprint === holder.proven.fingerprint;
  const allVerified = holders.every(verifiedHolder);

  // A re-key the API asks for is made on this visit, with the settings in force and the holders compared before,
  // but not while a clinician's break is running: a new key ends it (the button still does, if the patient means to).
  // Only a list fetched since this form mounted, not being fetched again and not failed since, can say that none
  // runs: the list kept from an earlier visit may be older than the break that made the API ask for this re-key.
  const breaks = useQuery({ queryKey: emergencyKeys.breaks(), queryFn: () => emergency.breaks() });
  const isBreakKnown = breaks.isSuccess && breaks.isFetchedAfterMount && !breaks.isFetching;
  const isBreakRunning = !isBreakKnown || breaks.data.items.some((item) => item.state !== 'ended');
  const keptVerified = kept.data !== undefined && clientState !== null && kept.data.every(verifiedHolder);
  const canRekey = setup.needsRekey && setup.scope !== 'off' && keptVerified;
  const rekey = () => {
    onSaved(null);
    save.mutate({ scope: setup.scope, folderId: setup.folderId ?? '', hours: setup.hours, threshold: setup.threshold ?? 1, holders: kept.data ?? [] });
  };
  const rekeyStarted = useRef(false);
  useEffect(() => {
    if (canRekey && !isBreakRunning && !rekeyStarted.current) {
      rekeyStarted.current = true;
      rekey();
    }
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    onSaved(null);
    save.mutate({ scope, folderId, hours: Number(hours), threshold: Number(threshold), holders });
  };
  return (
    <form onSubmit={submit} className="stack" aria-label="Emergency access settings">
      <p data-testid="emergency-status">
        {setup.scope === 'off'
          ? 'Emergency access is off.'
          : `Emergency access is on for ${setup.scope === 'all' ? 'all your records' : 'your emergency folder'}: ${setup.threshold} of ${setup.holders.length} holders must release their shares. Key ${formatFingerprint(setup.fingerprint ?? '')}.`}
      </p>
      {setup.needsRekey ? (
        <div data-testid="rekey-needed">
          <Alert tone="info">
            Re-key needed: a clinician has used your emergency key, or a record in scope has no emergency copy.{' '}
            {save.isPending
              ? 'A new key is being made…'
              : !isBreakKnown
                ? 'Checking whether an emergency access is under way…'
                : isBreakRunning
                ? 'A new key is made once the emergency access under way has ended (a new key now would end it).'
                : keptVerified
                  ? 'A new key is made now.'
                  : 'Compare the numbers of your holders again, then save.'}
          </Alert>
          <Button type="button" variant="secondary" isBusy={save.isPending} disabled={!canRekey} onClick={rekey}>
            Make a new emergency key now
          </Button>
        </div>
      ) : null}
      {kept.error ? <Alert tone="error">{describeError(kept.error)}</Alert> : null}
      <fieldset className="stack">
        <legend>Which records</legend>
        {(
          [
            ['off', 'Off: no emergency access'],
            ['folder', 'One folder (allergies, medication, conditions)'],
            ['all', 'Everything'],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="radio">
            <input type="radio" name="emergency-scope" value={value} checked={scope === value} onChange={() => setScope(value)} />
            {label}
          </label>
        ))}
      </fieldset>
      {scope === 'folder' ? (
        <label>
          Emergency folder
          <select value={folderId} onChange={(event) => setFolderId(event.target.value)}>
            <option value="">Choose a folder</option>
            {folderList.data?.map((folder) => (
              <option key={folder.id} value={folder.id}>
                {folder.name}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {scope !== 'off' ? (
        <>
          <div className="field">
            <label htmlFor="emergency-hours">Hours a break lasts (1–{EMERGENCY_MAX_HOURS})</label>
            <input id="emergency-hours" type="number" min={1} max={EMERGENCY_MAX_HOURS} value={hours} onChange={(event) => setHours(event.target.value)} required />
          </div>
          <fieldset className="stack">
            <legend>Holders of your emergency key</legend>
            <p className="muted">
              People you trust, or clinicians on call for you. Each holds one share; a clinician needs the number you choose below before anything opens.
            </p>
            {holders.length === 0 ? <p className="muted">No holder yet.</p> : null}
            <ul className="stack plain-list" aria-label="Holders">
              {holders.map((holder) => (
                <li key={holder.id} className="stack" data-testid="holder">
                  <p>
                    <strong>{holder.displayName}</strong> ({holder.role === 'doctor' ? 'clinician' : 'trusted person'})
                  </p>
                  {clientState ? <ContactCheck doctor={holder} proven={holder.proven} contact={clientState.contacts[holder.id]} purpose="emergency" /> : null}
                  <Button type="button" variant="secondary" onClick={() => setHolders((list) => list.filter((item) => item.id !== holder.id))}>
                    Remove {holder.displayName}
                  </Button>
                </li>
              ))}
            </ul>
            {holders.length < EMERGENCY_MAX_HOLDERS ? <AddHolder onAdd={(holder) => setHolders((list) => (list.some((item) => item.id === holder.id) ? list : [...list, holder]))} /> : null}
          </fieldset>
          <div className="field">
            <label htmlFor="emergency-threshold">Shares needed (k of {holders.length || 'n'})</label>
            <input
              id="emergency-threshold"
              type="number"
              min={1}
              max={Math.max(1, holders.length)}
              value={threshold}
              onChange={(event) => setThreshold(event.target.value)}
              required
            />
          </div>
        </>
      ) : null}
      {save.error ? <Alert tone="error">{describeError(save.error)}</Alert> : null}
      <div className="row">
        <Button type="submit" isBusy={save.isPending} disabled={scope !== 'off' && (holders.length === 0 || !allVerified)}>
          Save emergency access
        </Button>
      </div>
      {scope !== 'off' && !allVerified ? <p className="muted">Compare the numbers of every holder before you save.</p> : null}
    </form>
  );
}

/** Finds an existing account by its exact email and proves its key in the key directory. */
function AddHolder({ onAdd }: { onAdd(holder: ChosenHolder): void }) {
  const { emergency } = useSession();
  const { proveKey } = useTrust();
  const [email, setEmail] = useState('');
  const find = useMutation({
    mutationFn: async () => {
      const { items } = await emergency.holderCandidates(email.trim());
      const candidate: EmergencyHolderCandidate | undefined = items[0];
      if (!candidate) throw new Error('No patient or approved clinician has this email.');
      const proven = await proveKey(candidate.id, candidate.displayName, [{ where: 'the holder search', publicKey: candidate.publicKey }]);
      return { id: candidate.id, displayName: candidate.displayName, role: candidate.role, proven };
    },
    onSuccess: (holder) => {
      setEmail('');
      onAdd(holder);
    },
  });
  return (
    <div className="stack">
      <div className="field">
        <label htmlFor="holder-email">Holder’s email</label>
        <input id="holder-email" type="email" value={email} onChange={(event) => setEmail(event.target.value)} autoComplete="off" />
      </div>
      {find.error ? <Alert tone="error">{describeError(find.error)}</Alert> : null}
      <div className="row">
        <Button type="button" variant="secondary" isBusy={find.isPending} disabled={email.trim().length < 3} onClick={() => find.mutate()}>
          Add holder
        </Button>
      </div>
    </div>
  );
}

/** Breaks of the glass over the patient's records. */
function BreaksOfMine() {
  const { emergency } = useSession();
  const breaks = useQuery({ queryKey: emergencyKeys.breaks(), queryFn: () => emergency.breaks() });
  return (
    <section className="card wide stack" aria-labelledby="my-breaks-heading">
      <h2 id="my-breaks-heading">Emergency accesses to your records</h2>
      {breaks.error ? <Alert tone="error">{describeError(breaks.error)}</Alert> : null}
      {breaks.data && breaks.data.items.length === 0 ? <p className="muted">No clinician has broken the glass.</p> : null}
      <ul className="stack plain-list" aria-label="Emergency accesses">
        {breaks.data?.items.map((item) => (
          <li key={item.id} data-testid="patient-break">
            <p>
              <strong>{item.clinicianName}</strong>
              {item.clinicianOrganisation ? ` (${item.clinicianOrganisation})` : ''} on {when(item.createdAt)}: {REASON_LABELS[item.reasonCode]} — {item.reasonText}
            </p>
            <p className="muted">{breakStateText(item)}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
