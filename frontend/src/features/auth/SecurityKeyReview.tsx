/**
 * After a recovery with the recovery code (which signs in without the security
 * key, so that a lost key does not lock the owner out): an account that still has
 * security keys is asked whether to keep or remove them. A lost key left enrolled
 * still signs in for whoever finds it, with the password; a key still at hand
 * should stay. Removal needs the (new) password, as on the account page.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type SubmitEvent } from 'react';
import { ApiError, describeError } from '../../api/api-error.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { securityKeyKeys } from '../../api/security-keys.js';
import { VaultError } from '../../crypto/vault.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { PasswordField } from '../../ui/PasswordField.js';
import { removeSecurityKey } from './account-flows.js';
import { useSession } from './session.js';

export function SecurityKeyReview({ onDone }: { onDone: () => void }) {
  const { securityKeys, vault } = useSession();
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: securityKeyKeys.list(), queryFn: () => securityKeys.list() });
  const [isRemoving, setIsRemoving] = useState(false);
  const [password, setPassword] = useState('');
  const hasNoKeys = keys.isSuccess && keys.data.keys.length === 0;

  useEffect(() => {
    if (hasNoKeys) onDone();
  }, [hasNoKeys, onDone]);

  const remove = useMutation({
    mutationFn: async () => {
      for (const key of keys.data?.keys ?? []) await removeSecurityKey(securityKeys, vault, key.id, password);
    },
    onSuccess: onDone,
    onSettled: () => invalidateAfter(queryClient, 'securityKeysChanged'),
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (password) remove.mutate();
  };

  if (keys.isError) {
    return (
      <Card title="Your security keys">
        <Alert tone="error">{describeError(keys.error)}</Alert>
        <Button type="button" onClick={onDone}>
          Continue
        </Button>
      </Card>
    );
  }
  if (!keys.isSuccess || hasNoKeys) return <p className="muted">Checking your security keys…</p>;

  const names = keys.data.keys.map((key) => key.name);
  return (
    <Card title="Your security keys">
      <p className="lead">
        You recovered your account with your recovery code, without your security key. This account still has{' '}
        {names.length === 1 ? 'a security key' : `${names.length} security keys`}: <strong data-testid="review-keys">{names.join(', ')}</strong>.
      </p>
      <p>
        If you lost {names.length === 1 ? 'it' : 'them'}, remove {names.length === 1 ? 'it' : 'them'} now: whoever finds a key could use it with your
        password. If you still have {names.length === 1 ? 'it' : 'them'}, keep {names.length === 1 ? 'it' : 'them'}: the next sign-in asks for{' '}
        {names.length === 1 ? 'it' : 'one'} again.
      </p>
      {isRemoving ? (
        <form onSubmit={submit}>
          <PasswordField
            label="Your new password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            hint="Removing a security key needs your password."
          />
          {remove.isError ? <Alert tone="error">{removalError(remove.error)}</Alert> : null}
          <Button type="submit" isBusy={remove.isPending} disabled={!password}>
            Remove {names.length === 1 ? 'the key' : 'the keys'}
          </Button>{' '}
          <Button type="button" variant="secondary" onClick={() => setIsRemoving(false)}>
            Back
          </Button>
        </form>
      ) : (
        <p>
          <Button type="button" onClick={onDone}>
            Keep {names.length === 1 ? 'it' : 'them'}
          </Button>{' '}
          <Button type="button" variant="secondary" onClick={() => setIsRemoving(true)}>
            Remove {names.length === 1 ? 'it' : 'them'}
          </Button>
        </p>
      )}
    </Card>
  );
}

function removalError(error: unknown): string {
  const isWrongPassword = (error instanceof VaultError && error.code === 'DECRYPT_FAILED') || (error instanceof ApiError && error.code === 'INVALID_CREDENTIALS');
  return isWrongPassword ? 'That password is not correct.' : describeError(error);
}
