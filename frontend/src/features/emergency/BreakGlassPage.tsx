/**
 * A clinician's break-glass (docs/protocol.md "Break-glass"): the form (the patient's email, a
 * reason from the fixed list, the clinician's own words), the clinician's breaks with their state,
 * and, once k shares are in, the records in scope: the shares combined and the emergency key
 * opened in the crypto worker, titles decrypted there, each record opened read-only. After the
 * time box the page says the access ended. Doctors may also hold patients' shares: their pending
 * requests are listed below.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { EMERGENCY_REASON_CODES, EMERGENCY_REASON_TEXT_MAX_CHARS, EMERGENCY_REASON_TEXT_MIN_CHARS, type EmergencyBreak, type EmergencyReasonCode } from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';
import { emergencyKeys } from '../../api/emergency.js';
import { refetchAfterChange } from '../../api/invalidate.js';
import { VaultError } from '../../crypto/vault.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { saveFile } from '../records/open-record.js';
import { HolderRequests } from './HolderRequests.js';
import { breakStateText, REASON_LABELS, reasonWords, when } from './emergency-words.js';

export function BreakGlassPage() {
  const { emergency } = useSession();
  const breaks = useQuery({ queryKey: emergencyKeys.breaks(), queryFn: () => emergency.breaks(), refetchInterval: 10_000 });
  const [chosen, setChosen] = useState<string | null>(null);
  const current = breaks.data?.items.find((item) => item.id === chosen) ?? null;
  return (
    <div className="stack emergency-page">
      <section className="card wide stack" aria-labelledby="break-glass-title">
        <h1 id="break-glass-title" tabIndex={-1}>
          Break the glass
        </h1>
        <p>
          In an emergency, when the patient cannot be asked, you may open the records the patient chose for emergencies. The patient and the holders of
          their emergency key are told at once, the records open once enough holders release their shares, and an auditor reviews every break.
        </p>
        <BreakForm onBroken={setChosen} />
      </section>
      <section className="card wide stack" aria-labelledby="my-breaks-heading">
        <h2 id="my-breaks-heading">Your emergency accesses</h2>
        {breaks.error ? <Alert tone="error">{describeError(breaks.error)}</Alert> : null}
        {breaks.data && breaks.data.items.length === 0 ? <p className="muted">You have not broken the glass.</p> : null}
        <ul className="stack plain-list" aria-label="Your emergency accesses">
          {breaks.data?.items.map((item) => (
            <li key={item.id} data-testid="clinician-break" className="stack">
              <p>
                <strong>{item.patientName}</strong> · {when(item.createdAt)} · {item.reasonCode}
              </p>
              <p className="muted">{breakStateText(item)}</p>
              <div className="row">
                <Button type="button" variant="secondary" onClick={() => setChosen(item.id)} aria-pressed={chosen === item.id}>
                  Show the emergency access to {item.patientName}
                </Button>
              </div>
            </li>
          ))}
        </ul>
      </section>
      {current ? <BreakView key={current.id} breakGlass={current} /> : null}
      <HolderRequests />
    </div>
  );
}

function BreakForm({ onBroken }: { onBroken(id: string): void }) {
  const { emergency } = useSession();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [reasonCode, setReasonCode] = useState<EmergencyReasonCode>('ETREAT');
  const [reasonText, setReasonText] = useState('');
  const broken = useMutation({
    mutationFn: () => emergency.breakGlass({ patientEmail: email.trim(), reasonCode, reasonText: reasonText.trim() }),
    onSuccess: async (answer) => {
      setEmail('');
      setReasonText('');
      await refetchAfterChange(queryClient, emergencyKeys.breaks());
      onBroken(answer.id);
    },
  });
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    broken.mutate();
  };
  return (
    <form onSubmit={submit} className="stack" aria-label="Break the glass">
      <div className="field">
        <label htmlFor="break-email">Patient’s email</label>
        <input id="break-email" type="email" value={email} onChange={(event) => setEmail(event.target.value)} required autoComplete="off" />
      </div>
      <div className="field">
        <label htmlFor="break-reason">Reason</label>
        <select id="break-reason" value={reasonCode} onChange={(event) => setReasonCode(event.target.value as EmergencyReasonCode)}>
          {EMERGENCY_REASON_CODES.map((code) => (
            <option key={code} value={code}>
              {REASON_LABELS[code]} ({code})
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="break-text">What is happening ({EMERGENCY_REASON_TEXT_MIN_CHARS}–{EMERGENCY_REASON_TEXT_MAX_CHARS} characters, one line)</label>
        <input
          id="break-text"
          value={reasonText}
          minLength={EMERGENCY_REASON_TEXT_MIN_CHARS}
          maxLength={EMERGENCY_REASON_TEXT_MAX_CHARS}
          onChange={(event) => setReasonText(event.target.value.replace(/[\r\n]+/g, ' '))}
          required
        />
      </div>
      {broken.error ? <Alert tone="error">{describeError(broken.error)}</Alert> : null}
      <div className="row">
        <Button type="submit" variant="danger" isBusy={broken.isPending}>
          Break the glass
        </Button>
      </div>
    </form>
  );
}

const isEnded = (error: unknown) => error instanceof ApiError && error.status === 410;

/** One break: waiting for shares, open with its records, or ended. */
function BreakView({ breakGlass }: { breakGlass: EmergencyBreak }) {
  const { user, emergency, vault } = useSession();
  const queryClient = useQueryClient();
  const access = useQuery({
    queryKey: emergencyKeys.access(breakGlass.id),
    retry: false,
    // Waiting for the holders: asked again until k shares are in.
    refetchInterval: (query) => (query.state.data?.breakGlass.state === 'waiting' ? 5_000 : false),
    queryFn: () => emergency.access(breakGlass.id),
  });
  const shown = access.data?.breakGlass ?? breakGlass;
  const isOpen = access.data?.breakGlass.state === 'open' && access.data.publicKey !== null;
  const opened = useQuery({
    queryKey: emergencyKeys.opened(breakGlass.id, access.data?.shares.length ?? 0),
    enabled: isOpen,
    retry: false,
    staleTime: Infinity,
    queryFn: () => vault.openEmergencyAccess(user?.id ?? '', access.data as NonNullable<typeof access.data>),
  });
  const [openError, setOpenError] = useState<unknown>(null);
  const open = useMutation({
    mutationFn: async (recordId: string) => {
      setOpenError(null);
      const read = async () => vault.decryptEmergencyRecord(breakGlass.id, await emergency.record(breakGlass.id, recordId));
      try {
        return await read();
      } catch (error) {
        // The GET URLs live about a minute: a slow start gets fresh ones, once.
        if (error instanceof VaultError && error.code === 'DOWNLOAD_EXPIRED') return read();
        throw error;
      }
    },
    onSuccess: (record) => saveFile(record.file, record.metadata.fileName),
    onError: async (error) => {
      setOpenError(error);
      if (isEnded(error)) {
        await vault.closeEmergencyAccess(breakGlass.id);
        await refetchAfterChange(queryClient, emergencyKeys.all);
      }
    },
  });
  const ended = shown.state === 'ended' || isEnded(access.error) || isEnded(openError);
  return (
    <section className="card wide stack" aria-labelledby="break-view-heading" data-testid="break-view">
      <h2 id="break-view-heading">Emergency access to the records of {shown.patientName}</h2>
      <p className="muted">
        {reasonWords(shown)}
      </p>
      {ended ? (
        <div data-testid="break-ended">
          <Alert tone="error">
            This emergency access has ended{shown.state === 'ended' ? ` (${when(shown.endedAt ?? shown.expiresAt)})` : ''}: its time box is over, and the
            records of {shown.patientName} can no longer be opened. Break the glass again if the emergency goes on.
          </Alert>
        </div>
      ) : (
        <>
          <p data-testid="break-state">{breakStateText(shown)}</p>
          {access.error ? <Alert tone="error">{describeError(access.error)}</Alert> : null}
          {opened.error ? <Alert tone="error">{describeError(opened.error)}</Alert> : null}
          {openError && !isEnded(openError) ? <Alert tone="error">{describeError(openError)}</Alert> : null}
          {opened.data ? (
            <ul className="stack plain-list" aria-label="Records in the emergency access">
              {opened.data.length === 0 ? <li className="muted">No record is in scope.</li> : null}
              {opened.data.map((record) => {
                const title = 'metadata' in record ? record.metadata.title : null;
                return (
                  <li key={record.id} className="row" data-testid="emergency-record">
                    <span>{title ?? `A record that cannot be opened: ${'error' in record ? record.error : ''}`}</span>
                    {title ? (
                      <Button type="button" variant="secondary" isBusy={open.isPending && open.variables === record.id} onClick={() => open.mutate(record.id)}>
                        Open {title}
                      </Button>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          ) : isOpen ? (
            <p className="muted">Opening the emergency key…</p>
          ) : null}
        </>
      )}
    </section>
  );
}
