/**
 * The baseline of the sign-in bench (sign-in-bench.ts), in a process of its
 * own as the API is: the product's PasswordHasher (its library, @node-rs/argon2,
 * and its argon2id parameters) verifying a right secret, `connections`
 * verifications in flight at a time (closed loop), for `seconds`. The parent
 * sends { connections, seconds } and gets { perSecond, verifications } back; the libuv thread
 * pool (where argon2 runs) has the size the parent gives it in
 * UV_THREADPOOL_SIZE, the API's.
 */
import { randomBytes } from 'node:crypto';
import { PasswordHasher } from '../../backend/src/auth/credentials/password-hasher.js';

interface Job {
  connections: number;
  seconds: number;
}

const hasher = new PasswordHasher();
const secret = randomBytes(32).toString('base64url');
const stored = hasher.hash(secret);

async function verifiesPerSecond({ connections, seconds }: Job): Promise<{ perSecond: number; verifications: number }> {
  const storedHash = await stored;
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const caller = async () => {
    while (performance.now() < end) {
      if (!(await hasher.verify(storedHash, secret))) throw new Error('the baseline verification failed');
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, caller));
  return { perSecond: done / ((performance.now() - started) / 1000), verifications: done };
}

process.on('message', (job: Job) => {
  verifiesPerSecond(job).then(
    (answer) => process.send?.(answer),
    (error: unknown) => process.send?.({ error: String(error) }),
  );
});
process.send?.({ ready: true });
