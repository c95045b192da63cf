import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { ApiError, describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { Card } from '../../ui/Layout.js';
import { TextField } from '../../ui/TextField.js';
import { signIn } from './account-flows.js';
import { useSession } from './session.js';

export function LoginPage() {
  const { api, vault, start, notice } = useSession();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const login = useMutation({
    mutationFn: () => signIn(api, vault, email, password),
    onSuccess: (session) => {
      start(session);
      navigate('/account');
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };

  return (
    <Card title="Sign in">
      {notice ? <Alert tone="info">{notice}</Alert> : null}
      <form onSubmit={submit}>
        <TextField label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <TextField label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {login.isError ? <Alert tone="error">{loginError(login.error)}</Alert> : null}
        <Button type="submit" isBusy={login.isPending} disabled={!email || !password}>
          {login.isPending ? 'Unlocking your keys…' : 'Sign in'}
        </Button>
      </form>
      <p>
        <Link to="/recover">Forgot your password?</Link> · <Link to="/register">Create an account</Link>
      </p>
    </Card>
  );
}

function loginError(error: unknown): string {
  if (error instanceof ApiError && error.code === 'INVALID_CREDENTIALS') return 'Email or password is incorrect.';
  return describeError(error);
}
