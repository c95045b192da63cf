import type pg from 'pg';

/**
 * What a new connection's PostgreSQL server process allocates in one piece, and frees, before
 * the pool hands the connection out.
 */
export const ALLOCATOR_WARM_UP_BYTES = 2 * 1024 * 1024;

/** The warm-up: the planner folds the constant `repeat`, a single allocation of that many bytes, freed with the statement. */
export const ALLOCATOR_WARM_UP_SQL = `SELECT length(repeat('x', ${ALLOCATOR_WARM_UP_BYTES})) AS warm_up_bytes`;

/**
 * The pool's `onConnect` hook (pg-pool): once a new connection is up, and before the pool hands it
 * out, its PostgreSQL server process allocates and frees ALLOCATOR_WARM_UP_BYTES in one piece
 * (issue 14).
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
 *
 * A hook rather than a Client subclass that warms up inside its connect: the pool listens for a
 * connection's errors from the moment it is connected, so one that breaks during its warm-up (a
 * server shutting down, the pool's connect timeout destroying its socket) is dropped and reported
 * on the pool's 'error' event. Inside connect nothing listened yet, and the client's 'error' went
 * unhandled and ended the process (seen in CI, outages.spec). A warm-up that fails makes the pool
 * close the connection and answer the connect with that failure; its wait is bounded by the
 * connection's query timeout, as any statement's.
 */
export async function warmUpAllocator(client: pg.ClientBase): Promise<void> {
  await client.query(ALLOCATOR_WARM_UP_SQL);
}
