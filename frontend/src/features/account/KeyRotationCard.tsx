import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState, type SubmitEvent } from 'react';
import { keyRotationKeys } from '../../api/key-rotation.js';
import { invalidateAfter } from '../../api/invalidate.js';
import { ApiError, describeError } from '../../api/api-error.js';
import { VaultError } from '../../crypto/vault.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { PasswordField } from '../../ui/PasswordField.js';
import { useSession } from '../auth/session.js';
import { useTrust } from '../trust/TrustProvider.js';
import { TrustFailure } from '../trust/trust-failure.js';
import { progressOf, resumeRotation, startRotation, type RotationDeps, type RotationProgress } from './key-rotation.js';

type Phase = { kind: 'idle' } | { kind: 'running'; progress: RotationProgress | null } | { kind: 'done'; recoveryCode: string } | { kind: 'failed'; message: string };

/**
 * Account-key rotation (docs/protocol.md "Account-key rotation"): a new
 * account key for everything the old one sealed. It resumes by itself when a
 * rotation is under way (after a reload, or on another sign-in).
 */
export function KeyRotationCard() {
  const { keyRotation, trust, vault, user } = useSession();
  const { raise } = useTrust();
  const queryClient = useQueryClient();
  const [password, setPassword] = useState('');
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const isRunning = useRef(false);
  const state = useQuery({ queryKey: keyRotationKeys.state(), enabled: user !== null, queryFn: () => keyRotation.state() });
  const holdsNewKey = useQuery({ queryKey: keyRotationKeys.inVault(), enabled: user !== null, queryFn: () => vault.isRotatingKey() });

  const run = useCallback(
    async (work: (deps: RotationDeps) => Promise<string>) => {
      if (!user || isRunning.current) return;
      isRunning.current = true;
      setPhase({ kind: 'running', progress: null });
      const deps: RotationDeps = { keyRotation, trust, vault, userId: user.id, onProgress: (progress) => setPhase({ kind: 'running', progress }) };
      try {
        const recoveryCode = await work(deps);
        setPassword('');
        setPhase({ kind: 'done', recoveryCode });
      } catch (error) {
        if (error instanceof TrustFailure) raise(error);
        setPhase({ kind: 'failed', message: rotationError(error) });
      } finally {
        isRunning.current = false;
        await invalidateAfter(queryClient, 'accountKeyRotated');
      }
    },
    [keyRotation, trust, vault, user, raise, queryClient],
  );

  const isUnderWay = state.data?.rotation != null;
  // Resume by itself: a rotation under way whose new key this sign-in opened.
  useEffect(() => {
    if (isUnderWay && holdsNewKey.data === true && phase.kind === 'idle') void run(resumeRotation);
  }, [isUnderWay, holdsNewKey.data, phase.kind, run]);

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (password) void run((deps) => startRotation(deps, password));
  };

  const progress = phase.kind === 'running' ? (phase.progress ?? (state.data ? progressOf(state.data) : null)) : null;
  return (
    <Card title="Rotate account key">
      <p className="muted">
        Makes a new account key and re-encrypts, in this browser, the key of every record, every folder name, your private key and this
        browser’s memory under it. The old key then opens nothing the server holds. You get a new recovery code; the old one stops working.
        Other signed-in browsers are signed out. If the page is closed halfway, the rotation continues at your next sign-in.
      </p>
      {phase.kind === 'running' ? (
        <p data-testid="key-rotation-progress" aria-live="polite">
          {progress ? `Re-encrypted ${progress.done} of ${progress.total}` : 'Starting…'}
        </p>
      ) : null}
      {phase.kind === 'done' ? (
        <>
          <Alert tone="success">Your account key was rotated. Store your new recovery code now: it will not be shown again.</Alert>
          <pre className="recovery-code" data-testid="key-rotation-recovery-code" aria-label="New recovery code">
            {phase.recoveryCode}
          </pre>
        </>
      ) : null}
      {phase.kind === 'failed' ? (
        <>
          <Alert tone="error">{phase.message}</Alert>
          {holdsNewKey.data ? (
            <Button type="button" variant="secondary" onClick={() => void run(resumeRotation)}>
              Resume the rotation
            </Button>
          ) : null}
        </>
      ) : null}
      {isUnderWay && holdsNewKey.data === false && phase.kind === 'idle' ? (
        <Alert tone="info">A key rotation was started from another sign-in. Sign out and in again in this browser to continue it.</Alert>
      ) : null}
      {!isUnderWay && phase.kind !== 'running' && phase.kind !== 'done' ? (
        <form onSubmit={submit} noValidate>
          <PasswordField label="Password for the key rotation" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          <Button type="submit" disabled={!password}>
            Rotate account key
          </Button>
        </form>
      ) : null}
    </Card>
  );
}

function rotationError(error: unknown): string {
  if (error instanceof VaultError && error.code === 'WRONG_PASSWORD') return 'The password is not correct. Nothing was changed.';
  if (error instanceof ApiError && error.code === 'INVALID_CREDENTIALS') return 'The password is not correct. Nothing was changed.';
  if (error instanceof TrustFailure) return error.message;
  return `${describeError(error)} The rotation stopped; nothing is lost. It continues where it stopped.`;
}
