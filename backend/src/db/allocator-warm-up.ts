import pg from 'pg';
import { answerConnect, type ConnectCallback } from './client-connect.js';

/**
 * What a new connection's PostgreSQL server process allocates in one piece, and frees, before
 * the pool hands the connection out.
 */
export const ALLOCATOR_WARM_UP_BYTES = 2 * 1024 * 1024;

/** The warm-up: the planner folds the constant `repeat`, a single allocation of that many bytes, freed with the statement. */
export const ALLOCATOR_WARM_UP_SQL = `SELECT length(repeat('x', ${ALLOCATOR_WARM_UP_BYTES})) AS warm_up_bytes`;

/**
 * A node-postgres Client class (the pool's `Client` option) that, once connected, has the server
 * process allocate and free ALLOCATOR_WARM_UP_BYTES in one piece (issue 14).
 *
 * Why: PostgreSQL's server processes allocate through the C library's malloc, and glibc gives
 * memory back to the system as soon as more than its trim threshold (128 KiB to start with) lies
 * free at the top of the heap. A request's transaction (index scans, RLS policies, the audit row
 * and its triggers) grows the heap by about 150 KiB and frees it at its end, so every transaction
 * shrank the heap with brk and grew it again, faulting the pages in anew: 2 to 3 brk calls per
 * read, and about a third more PostgreSQL CPU per read than the bare route of the read bench
 * measured on two cores (docs/benchmarks.md). glibc raises its thresholds for good, in that process,
 * when a block it had mapped on its own is freed: the trim threshold becomes twice that block's
 * size. After the warm-up the process keeps up to 4 MiB free at the top of its heap and reuses it.
 * Cost: one statement per new connection, and up to 4 MiB more resident per server process. A
 * server built on another C library (musl) only runs the statement.
 */
export function warmingClient(Base: typeof pg.Client): typeof pg.Client {
  return class WarmingClient extends Base {
    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
      return answerConnect(this.connectAndWarmUp(), callback);
    }

    /** A connection whose warm-up failed is closed: the pool does not close one whose connect failed. */
    private async connectAndWarmUp(): Promise<pg.Client> {
      await super.connect();
      try {
        await this.query(ALLOCATOR_WARM_UP_SQL);
      } catch (error) {
        await this.end().catch(() => undefined);
        throw error;
      }
      return this;
    }
  };
}
