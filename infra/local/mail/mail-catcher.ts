/**
 * The embedded SMTP server of `npm start` and the tests (issue 11): a real
 * SMTP server (smtp-server from npm) on 127.0.0.1 that keeps every mail it
 * receives as an .eml file in one folder, where people and tests read them
 * (mailbox.ts). It delivers nothing further. No STARTTLS and no AUTH: it
 * listens on the loopback interface only.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import smtpServer from 'smtp-server';
import { parseMail, type ReceivedMail } from './mailbox.js';

export interface MailCatcherOptions {
  /** Where the mails are kept (created if missing). */
  dir: string;
  /** 0 picks a free port. */
  port: number;
  /** Called with each mail once it is stored (the stack prints its subject and link). */
  onMail?: (mail: ReceivedMail) => void;
}

export interface RunningMailCatcher {
  /** What the API's SMTP_URL should be. */
  smtpUrl: string;
  dir: string;
  stop(): Promise<void>;
}

const MAX_MAIL_BYTES = 1024 * 1024;

export async function startMailCatcher(options: MailCatcherOptions): Promise<RunningMailCatcher> {
  await mkdir(options.dir, { recursive: true });
  let sequence = 0;
  const server = new smtpServer.SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    size: MAX_MAIL_BYTES,
    logger: false,
    banner: 'PHR local mail catcher',
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        if ((stream as { sizeExceeded?: boolean }).sizeExceeded) return callback(new Error('Message too large'));
        sequence += 1;
        // Names sort in arrival order; a reader never sees a half-written file (written, then renamed).
        const name = `${String(Date.now()).padStart(15, '0')}-${String(sequence).padStart(6, '0')}.eml`;
        const raw = Buffer.concat(chunks);
        const stored = writeFile(path.join(options.dir, `.${name}.tmp`), raw).then(() => rename(path.join(options.dir, `.${name}.tmp`), path.join(options.dir, name)));
        stored
          .then(async () => {
            callback();
            if (options.onMail) options.onMail(await parseMail(name, raw));
          })
          .catch((error: Error) => callback(error));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  const { port } = server.server.address() as AddressInfo;
  return {
    smtpUrl: `smtp://127.0.0.1:${port}`,
    dir: options.dir,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
