/**
 * Security keys (ASVS 2.3.2): an optional second factor. With one enrolled,
 * signing in needs the password and then the key; removing one needs the
 * password, like the other grave steps on this page.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { SECURITY_KEY_NAME_MAX_LENGTH, type SecurityKey } from '@phr/shared-types';
import { ApiError, describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { securityKeyKeys } from '../../api/security-keys.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { ItemTable, type ItemColumn } from '../../ui/ItemTable.js';
import { Card } from '../../ui/Layout.js';
import { PasswordField } from '../../ui/PasswordField.js';
import { TextField } from '../../ui/TextField.js';
import { enrolSecurityKey, removeSecurityKey } from '../auth/account-flows.js';
import { useSession } from '../auth/session.js';
import { SecurityKeyUnavailable, isWebAuthnAvailable } from '../auth/webauthn.js';
import { currentPasswordError } from './current-password-error.js';

const KEY_COLUMNS: Array<ItemColumn<SecurityKey>> = [
  { header: 'Name', cell: (key) => key.name },
  { header: 'Added', isLabelledOnPhone: true, cell: (key) => new Date(key.createdAt).toLocaleString() },
  { header: 'Last used', isLabelledOnPhone: true, cell: (key) => (key.lastUsedAt ? new Date(key.lastUsedAt).toLocaleString() : 'Never') },
];

/** `onEnrolled`: after a key is added (the forced enrolment of a second factor lifts the session's restriction). */
export function SecurityKeysCard({ onEnrolled }: { onEnrolled?: () => Promise<void> | void } = {}) {
  const { securityKeys } = useSession();
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: securityKeyKeys.list(), queryFn: () => securityKeys.list() });
  const [name, setName] = useState('');
  const [removing, setRemoving] = useState<SecurityKey | null>(null);

  const add = useMutation({
    mutationFn: () => enrolSecurityKey(securityKeys, name.trim()),
    onSuccess: async () => {
      setName('');
      await onEnrolled?.();
    },
    onSettled: () => invalidateAfter(queryClient, 'securityKeysChanged'),
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (name.trim()) add.mutate();
  };

  return (
    <Card title="Security keys">
      <p className="muted">
        A security key (a FIDO2 key such as a YubiKey, or this device’s fingerprint or face unlock) guards your sign-in: with one added, signing in needs
        your password and then the key. Your recovery code still opens the account if you lose every key.
      </p>
      {keys.isError ? <Alert tone="error">{describeError(keys.error)}</Alert> : null}
      {keys.data && keys.data.keys.length === 0 ? <p>No security key yet: signing in needs only your password.</p> : null}
      {keys.data && keys.data.keys.length > 0 ? (
        <ItemTable
          testId="security-keys"
          rowIdAttribute="data-security-key-id"
          columns={KEY_COLUMNS}
          items={keys.data.keys}
          action={(key) => (
            <Button type="button" variant="secondary" onClick={() => setRemoving(key)} aria-label={`Remove ${key.name}`}>
              Remove
            </Button>
          )}
        />
      ) : null}
      {removing ? <RemoveSecurityKeyForm key={removing.id} securityKey={removing} onDone={() => setRemoving(null)} /> : null}
      {isWebAuthnAvailable() ? (
        <form onSubmit={submit}>
          <TextField
            label="Name of the new key"
            maxLength={SECURITY_KEY_NAME_MAX_LENGTH}
            required
            value={name}
            onChange={(event) => setName(event.target.value)}
            hint="To tell your keys apart, e.g. “Blue key on my keyring”."
          />
          {add.isError ? <Alert tone="error">{enrolError(add.error)}</Alert> : null}
          {add.isSuccess ? <Alert tone="success">The security key “{add.data.name}” was added. From now on, signing in asks for it.</Alert> : null}
          <Button type="submit" isBusy={add.isPending} disabled={!name.trim()}>
            {add.isPending ? 'Touch your security key…' : 'Add security key'}
          </Button>
        </form>
      ) : (
        <Alert tone="info">This browser cannot use security keys.</Alert>
      )}
    </Card>
  );
}

function RemoveSecurityKeyForm({ securityKey, onDone }: { securityKey: SecurityKey; onDone(): void }) {
  const { securityKeys, vault } = useSession();
  const queryClient = useQueryClient();
  const [password, setPassword] = useState('');
  const remove = useMutation({
    mutationFn: () => removeSecurityKey(securityKeys, vault, securityKey.id, password),
    onSuccess: async () => {
      await invalidateAfter(queryClient, 'securityKeysChanged');
      onDone();
    },
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (password) remove.mutate();
  };

  return (
    <form onSubmit={submit} noValidate aria-label={`Remove ${securityKey.name}`}>
      <PasswordField
        label={`Current password to remove “${securityKey.name}”`}
        autoComplete="current-password"
        required
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      {remove.isError ? <Alert tone="error">{currentPasswordError(remove.error)}</Alert> : null}
      <Button type="submit" variant="danger" isBusy={remove.isPending} disabled={!password}>
        Remove key
      </Button>{' '}
      <Button type="button" variant="secondary" onClick={onDone}>
        Keep it
      </Button>
    </form>
  );
}

function enrolError(error: unknown): string {
  if (error instanceof SecurityKeyUnavailable) return 'The security key did not answer; nothing was added.';
  if (error instanceof ApiError && error.status === 409) return 'This security key is already added.';
  return describeError(error);
}
