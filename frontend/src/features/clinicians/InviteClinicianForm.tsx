/**
 * An operator vouches for a clinician before they have an account: the API
 * mails them a one-time link (/register#invitation=…); the account is approved
 * from the start, with these details.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { DISPLAY_NAME_MAX_LENGTH, LICENCE_MAX_LENGTH, ORGANISATION_MAX_LENGTH, SPECIALTY_MAX_LENGTH, type InviteClinicianRequest } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { TextField } from '../../ui/TextField.js';
import { useSession } from '../auth/session.js';

const EMPTY_FORM: InviteClinicianRequest = { email: '', displayName: '', licence: '', organisation: '', specialty: '' };

export function InviteClinicianForm() {
  const { clinicians } = useSession();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<InviteClinicianRequest>(EMPTY_FORM);
  const set = (change: Partial<InviteClinicianRequest>) => setForm({ ...form, ...change });
  const invite = useMutation({
    mutationFn: () =>
      clinicians.invite({
        email: form.email.trim(),
        displayName: form.displayName.trim(),
        licence: form.licence.trim(),
        organisation: form.organisation.trim(),
        specialty: form.specialty?.trim() || undefined,
      }),
    onSuccess: async () => {
      setForm(EMPTY_FORM);
      await invalidateAfter(queryClient, 'clinicianInvited');
    },
  });
  const canSend = [form.email, form.displayName, form.licence, form.organisation].every((value) => value.trim());

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (canSend) invite.mutate();
  };

  return (
    <section className="stack" aria-labelledby="invite-clinician-title">
      <h2 id="invite-clinician-title">Invite a clinician</h2>
      <p className="muted">The clinician gets a one-time link by mail. Their account is approved from the start, with these details.</p>
      <form onSubmit={submit} noValidate>
        <TextField label="Clinician’s email" type="email" required value={form.email} onChange={(e) => set({ email: e.target.value })} />
        <TextField label="Clinician’s full name" required maxLength={DISPLAY_NAME_MAX_LENGTH} value={form.displayName} onChange={(e) => set({ displayName: e.target.value })} />
        <TextField label="Their licence or registration number" required maxLength={LICENCE_MAX_LENGTH} value={form.licence} onChange={(e) => set({ licence: e.target.value })} />
        <TextField label="Their organisation" required maxLength={ORGANISATION_MAX_LENGTH} value={form.organisation} onChange={(e) => set({ organisation: e.target.value })} />
        <TextField label="Their specialty (optional)" maxLength={SPECIALTY_MAX_LENGTH} value={form.specialty ?? ''} onChange={(e) => set({ specialty: e.target.value })} />
        {invite.isError ? <Alert tone="error">{describeError(invite.error)}</Alert> : null}
        {invite.isSuccess ? (
          <Alert tone="success">
            Invitation sent to {invite.data.email}. The link works once, until {new Date(invite.data.expiresAt).toLocaleString()}.
          </Alert>
        ) : null}
        <Button type="submit" isBusy={invite.isPending} disabled={!canSend}>
          Send invitation
        </Button>
      </form>
    </section>
  );
}
