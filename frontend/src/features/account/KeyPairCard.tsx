/**
 * Key-pair rotation (docs/protocol.md "Key-pair rotation"): a new RSA-OAEP
 * key pair made in the crypto worker replaces the account's own, after the
 * password is asked again. The browser then checks that the key directory
 * shows the new key as the account's latest binding (self-monitoring).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type SubmitEvent } from 'react';
import { invalidateAfter } from '../../api/invalidate.js';
import { ApiError, describeError } from '../../api/api-error.js';
import { formatFingerprint } from '../../crypto/fingerprint.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { PasswordField } from '../../ui/PasswordField.js';
import { useSession } from '../auth/session.js';
import { useTrust } from '../trust/TrustProvider.js';

export function KeyPairCard() {
  const { api, vault, user } = useSession();
  const { proveOwnKey } = useTrust();
  const queryClient = useQueryClient();
  const [password, setPassword] = useState('');

  const rotate = useMutation({
    mutationFn: async () => {
      const rotation = await vault.prepareKeyPairRotation(password);
      const { binding } = await api.rotateKeyPair({ currentAuthKey: rotation.currentAuthKey, publicKey: rotation.publicKey, wrappedPrivateKey: rotation.wrappedPrivateKey });
      await vault.confirmKeyPairRotation(binding.publicKey ?? '');
      await proveOwnKey();
      return rotation.fingerprint;
    },
    onSuccess: async () => {
      setPassword('');
      await invalidateAfter(queryClient, 'keyPairRotated');
    },
  });

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (password) rotate.mutate();
  };

  return (
    <Card title="Replace your key pair">
      <p className="muted">
        If a device that was signed in is lost, or your policy asks for it, make a new key pair. Your records stay as they are.
        {user?.role === 'doctor'
          ? ' Records patients shared with your old key cannot be opened until each patient has compared your new key fingerprint with you and shared them again, which their browser does on their next visit.'
          : ''}{' '}
        Everyone who compared your key fingerprint must compare the new one.
      </p>
      <form onSubmit={submit} noValidate>
        <PasswordField label="Password to confirm the new key pair" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {rotate.isError ? <Alert tone="error">{rotateError(rotate.error)}</Alert> : null}
        {rotate.isSuccess ? (
          <div data-testid="key-rotated">
            <Alert tone="success">
              Your new key pair is in use, and the key directory shows it as yours. New fingerprint: {formatFingerprint(rotate.data)}.
            </Alert>
          </div>
        ) : null}
        <Button type="submit" variant="secondary" isBusy={rotate.isPending} disabled={!password}>
          Make a new key pair
        </Button>
      </form>
    </Card>
  );
}

function rotateError(error: unknown): string {
  return error instanceof ApiError && error.code === 'INVALID_CREDENTIALS' ? 'The password is not correct.' : describeError(error);
}
