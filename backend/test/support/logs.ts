/** The API's log lines, kept for tests to read (startTestApp's logger). */
import type { LoggerService } from '@nestjs/common';
import type { RefusalLogEntry } from '../../src/common/refusal-log.js';

export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  /** Warn messages only, as logged (without Nest's context argument). */
  readonly warnings: string[] = [];
  log(...parts: unknown[]) { this.lines.push(parts.map(String).join(' ')); }
  error(...parts: unknown[]) { this.lines.push(parts.map(String).join(' ')); }
  warn(...parts: unknown[]) {
    this.lines.push(parts.map(String).join(' '));
    this.warnings.push(String(parts[0]));
  }
  debug(...parts: unknown[]) { this.lines.push(parts.map(String).join(' ')); }
  verbose(...parts: unknown[]) { this.lines.push(parts.map(String).join(' ')); }

  /** Every "request refused" line of one request (the X-Request-Id of its answer). */
  refusalsOf(requestId: string | null): RefusalLogEntry[] {
    return this.warnings
      .filter((line) => line.startsWith('{"event":"request.refused"'))
      .map((line) => JSON.parse(line) as RefusalLogEntry)
      .filter((entry) => entry.requestId === requestId);
  }
}
