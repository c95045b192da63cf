/**
 * What the soak measured: every request's route, status and latency, sorted
 * into answers the traffic expected (2xx, and the 4xx a malformed request or a
 * revoked consent must get) and answers it did not; those that came while a
 * fault was being injected or recovered from are counted apart, since a
 * killed API or a stopped store is meant to fail some requests.
 */
import { percentile } from '../load.js';

export type Outcome = 'ok' | 'expected-4xx' | 'unexpected' | 'during-fault';

export interface RouteFigures {
  route: string;
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface MemorySample {
  atSeconds: number;
  apiRssMiB: number | null;
  /** Private (anonymous) memory of the PostgreSQL backends serving the soak's database, summed. */
  pgBackendsAnonMiB: number;
  pgBackends: number;
  pgDatabaseMiB: number;
}

export interface FaultEvent {
  atSeconds: number;
  kind: string;
  /** Until the API answered its health check again. */
  recoverySeconds: number;
}

/** A status key for the error table: the HTTP status, or `network` when no answer came. */
type StatusKey = string;

export class SoakStats {
  private readonly startedAt = performance.now();
  private readonly latencies = new Map<string, number[]>();
  private readonly outcomes = new Map<Outcome, Map<StatusKey, number>>();
  private readonly unexpected = new Map<string, number>();
  private faultUntil = 0;
  readonly memory: MemorySample[] = [];
  readonly faults: FaultEvent[] = [];
  /** Problems that are not a request's answer (a decryption that failed, a read that returned other bytes). */
  readonly anomalies: string[] = [];

  elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** From now until `endFault()` plus a short recovery, failures count as the fault's. */
  beginFault(): void {
    this.faultUntil = Number.POSITIVE_INFINITY;
  }

  endFault(graceMs = 5_000): void {
    this.faultUntil = performance.now() + graceMs;
  }

  isInFault(): boolean {
    return performance.now() < this.faultUntil;
  }

  /** One request: `expected` lists the statuses the caller meant to get (2xx counts as ok only when listed). */
  record(route: string, status: number | 'network', startedAt: number, expected: readonly number[]): Outcome {
    const ms = performance.now() - startedAt;
    let outcome: Outcome;
    if (status !== 'network' && expected.includes(status)) outcome = status < 300 ? 'ok' : 'expected-4xx';
    // A request that began before a fault's recovery was over may have been cut by it.
    else if (startedAt < this.faultUntil) outcome = 'during-fault';
    else outcome = 'unexpected';
    if (outcome === 'unexpected') this.unexpected.set(`${route} → ${status}`, (this.unexpected.get(`${route} → ${status}`) ?? 0) + 1);
    if (status !== 'network') {
      const list = this.latencies.get(route) ?? [];
      list.push(ms);
      this.latencies.set(route, list);
    }
    const byStatus = this.outcomes.get(outcome) ?? new Map<StatusKey, number>();
    byStatus.set(String(status), (byStatus.get(String(status)) ?? 0) + 1);
    this.outcomes.set(outcome, byStatus);
    return outcome;
  }

  anomaly(message: string): void {
    this.anomalies.push(`${this.elapsedSeconds().toFixed(0)} s: ${message}`);
  }

  totalRequests(): number {
    let total = 0;
    for (const byStatus of this.outcomes.values()) for (const count of byStatus.values()) total += count;
    return total;
  }

  routes(): RouteFigures[] {
    return [...this.latencies]
      .map(([route, values]) => {
        const sorted = [...values].sort((a, b) => a - b);
        return { route, count: sorted.length, p50Ms: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95), p99Ms: percentile(sorted, 0.99) };
      })
      .sort((a, b) => b.count - a.count);
  }

  /** `outcome → status → count`, for the error table. */
  byOutcome(): Array<{ outcome: Outcome; status: string; count: number }> {
    const rows: Array<{ outcome: Outcome; status: string; count: number }> = [];
    for (const [outcome, byStatus] of this.outcomes) for (const [status, count] of byStatus) rows.push({ outcome, status, count });
    return rows.sort((a, b) => a.outcome.localeCompare(b.outcome) || a.status.localeCompare(b.status));
  }

  /** `route → status` of every unexpected answer, with counts. */
  unexpectedByRoute(): Array<[string, number]> {
    return [...this.unexpected].sort((a, b) => b[1] - a[1]);
  }

  unexpectedCount(): number {
    return [...(this.outcomes.get('unexpected')?.values() ?? [])].reduce((sum, count) => sum + count, 0);
  }
}
