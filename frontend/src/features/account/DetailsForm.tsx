import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { DISPLAY_NAME_MAX_LENGTH, SPECIALTY_MAX_LENGTH, type Me, type UpdateMeRequest } from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { TextField } from '../../ui/TextField.js';
import { useSession } from '../auth/session.js';

/** Correct one's own name, and a doctor's specialty (GDPR Art. 16). The email is the sign-in identifier and stays as it is. */
export function DetailsForm() {
  const { api, user, userChanged } = useSession();
  const queryClient = useQueryClient();
  const [displayName, setDisplayName] = useState(user?.displayName ?? '');
  const [specialty, setSpecialty] = useState(user?.specialty ?? '');
  const isDoctor = user?.role === 'doctor';

  const save = useMutation({
    mutationFn: () => api.updateMe(changesFrom(user, displayName, isDoctor ? specialty : null)),
    onSuccess: async (updated) => {
      setDisplayName(updated.displayName);
      setSpecialty(updated.specialty ?? '');
      userChanged(updated);
      await invalidateAfter(queryClient, 'accountDetailsChanged');
    },
  });

  const changes = changesFrom(user, displayName, isDoctor ? specialty : null);
  const canSave = Object.keys(changes).length > 0 && displayName.trim() !== '';

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (canSave) save.mutate();
  };

  return (
    <Card title="Your details">
      <form onSubmit={submit} noValidate>
        <TextField
          label="Name"
          autoComplete="name"
          required
          maxLength={DISPLAY_NAME_MAX_LENGTH}
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
          hint="Shown to the people you share records with."
        />
        {isDoctor ? (
          <TextField
            label="Specialty"
            maxLength={SPECIALTY_MAX_LENGTH}
            value={specialty}
            onChange={(e) => setSpecialty(e.target.value)}
            hint="Shown to patients who search for you."
          />
        ) : null}
        <p className="muted">
          Your email address is how you sign in and cannot be changed here. To use another address, create a new account.
        </p>
        {save.isError ? <Alert tone="error">{saveError(save.error)}</Alert> : null}
        {save.isSuccess && Object.keys(changes).length === 0 ? <Alert tone="success">Your details were saved.</Alert> : null}
        <Button type="submit" isBusy={save.isPending} disabled={!canSave}>
          Save details
        </Button>
      </form>
    </Card>
  );
}

/** Only the fields that differ from the account as it stands, trimmed as the API stores them. */
function changesFrom(user: Me | null, displayName: string, specialty: string | null): UpdateMeRequest {
  const changes: UpdateMeRequest = {};
  if (displayName.trim() !== user?.displayName) changes.displayName = displayName.trim();
  if (specialty !== null && specialty.trim() !== '' && specialty.trim() !== (user?.specialty ?? '')) changes.specialty = specialty.trim();
  return changes;
}

function saveError(error: unknown): string {
  if (error instanceof ApiError && error.body.fields?.length) return error.body.fields.map((problem) => problem.message).join('. ');
  return describeError(error);
}
