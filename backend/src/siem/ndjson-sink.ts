import { open } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import type { AuditEvent } from '@phr/shared-types';
import type { SiemNdjson } from '../config/app-config.js';
import { ndjsonLine } from './siem-messages.js';
import type { SiemSink } from './siem-sink.js';

/**
 * An append-only NDJSON file: one row per line, opened with 'a' for each batch (so a file
 * renamed by logrotate is followed by a new one at the path), fsync'd before the batch counts
 * as shipped. The API never truncates, rotates or rewrites it; a file found replaced or
 * shorter than the API left it is said in the log, never passed over.
 */
export class NdjsonSink implements SiemSink {
  readonly destination: string;
  private readonly logger = new Logger('Siem');
  private last: { inode: number; size: number } | null = null;

  constructor(private readonly config: SiemNdjson) {
    this.destination = config.file;
  }

  async write(rows: readonly AuditEvent[]): Promise<void> {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- SIEM_NDJSON_FILE, the operator's setting, never a request's
    const handle = await open(this.config.file, 'a', 0o600);
    try {
      const before = await handle.stat();
      this.noticeRotation(before.ino, before.size);
      const text = rows.map((row) => `${ndjsonLine(row)}\n`).join('');
      await handle.appendFile(text, 'utf8');
      await handle.sync();
      if (before.size === 0) await syncFolder(path.dirname(this.config.file));
      this.last = { inode: before.ino, size: before.size + Buffer.byteLength(text) };
    } finally {
      await handle.close();
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private noticeRotation(inode: number, size: number): void {
    if (this.last === null) return;
    if (inode !== this.last.inode) this.logger.warn(`SIEM_NDJSON_FILE ${this.config.file} was replaced (moved or rotated); appending to the new file`);
    else if (size < this.last.size) this.logger.warn(`SIEM_NDJSON_FILE ${this.config.file} is shorter than the API left it (${size} < ${this.last.size} bytes): it was truncated`);
  }
}

/** A new file's name is durable once its folder is synced too. */
async function syncFolder(folder: string): Promise<void> {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the folder of SIEM_NDJSON_FILE
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
