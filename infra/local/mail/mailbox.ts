/**
 * Reads the mails the mail catcher keeps (mail-catcher.ts), from this process
 * or another one (the browser suite's workers read the stack's folder). Tests
 * wait for the mail they expect, not for a time: a folder watch wakes the
 * search each time a mail arrives.
 */
import { watch } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import mailparser from 'mailparser';

export interface ReceivedMail {
  /** The file the mail is kept in. */
  file: string;
  /** Recipient addresses, lower-cased. */
  to: string[];
  subject: string;
  text: string;
}

export async function parseMail(file: string, raw: Buffer): Promise<ReceivedMail> {
  const parsed = await mailparser.simpleParser(raw);
  const to = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap((group) => group.value.map((address) => (address.address ?? '').toLowerCase()));
  return { file, to, subject: parsed.subject ?? '', text: parsed.text ?? '' };
}

/** The first web link in a mail, or null. */
export function linkIn(mail: ReceivedMail): string | null {
  return /https?:\/\/\S+/.exec(mail.text)?.[0] ?? null;
}

/** The registration token of a registration link mail (in the link's fragment), or null. */
export function registrationTokenIn(mail: ReceivedMail): string | null {
  const link = linkIn(mail);
  return link ? new URLSearchParams(new URL(link).hash.slice(1)).get('token') : null;
}

export class Mailbox {
  private readonly parsed = new Map<string, ReceivedMail>();
  /** Mails already handed out by next(): each is handed out once. */
  private readonly taken = new Set<string>();

  constructor(readonly dir: string) {}

  /** Every mail in the folder, oldest first. */
  async all(): Promise<ReceivedMail[]> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((name) => name.endsWith('.eml') && !name.startsWith('.')).sort();
    const mails: ReceivedMail[] = [];
    for (const name of names) {
      let mail = this.parsed.get(name);
      if (!mail) {
        mail = await parseMail(name, await readFile(path.join(this.dir, name)));
        this.parsed.set(name, mail);
      }
      mails.push(mail);
    }
    return mails;
  }

  /** Every mail to `address` so far, oldest first. */
  async to(address: string): Promise<ReceivedMail[]> {
    const wanted = address.toLowerCase();
    return (await this.all()).filter((mail) => mail.to.includes(wanted));
  }

  /**
   * The oldest mail to `address` that this mailbox has not handed out yet (with
   * `subject`, the oldest with that subject: other mails to the address stay for
   * later), waiting for it to arrive if need be (up to `timeoutMs`, then an error).
   */
  async next(address: string, { timeoutMs = 30_000, subject }: { timeoutMs?: number; subject?: string } = {}): Promise<ReceivedMail> {
    await mkdir(this.dir, { recursive: true });
    let hasChanged: boolean;
    let wake: (() => void) | null = null;
    const watcher = watch(this.dir, () => {
      hasChanged = true;
      wake?.();
    });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        hasChanged = false;
        const found = (await this.to(address)).find((mail) => !this.taken.has(mail.file) && (subject === undefined || mail.subject === subject));
        if (found) {
          this.taken.add(found.file);
          return found;
        }
        if (hasChanged) continue;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`No mail to ${address}${subject === undefined ? '' : ` with the subject “${subject}”`} arrived in ${this.dir} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    } finally {
      watcher.close();
    }
  }
}
