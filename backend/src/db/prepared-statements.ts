import { createHash } from 'node:crypto';

/**
 * Statements sent as named prepared statements (issue 14): PostgreSQL parses,
 * rewrites (RLS policies included) and plans an unnamed statement again every
 * time; a named one is parsed once per pooled connection, and after five runs
 * PostgreSQL keeps a generic plan when it costs no more than the custom ones.
 * The session-bodies read alone spent ~1.6 ms planning per sign-in
 * (pg_stat_statements under `infra/bench/profile/profile-sign-in.ts`).
 *
 * Opt-in, per SQL text: only for statements whose best plan does not depend on
 * the values (lookups by key, inserts, function calls). A statement with
 * optional filters (`$1 IS NULL OR …`) stays unnamed, so that each run is
 * planned for its own values. The text must be a constant: each distinct text
 * is one prepared statement on every connection that runs it.
 */
const names = new Map<string, string>();

/** Marks `sql` to be sent as a named prepared statement, and returns it unchanged. */
export function prepared(sql: string): string {
  if (!names.has(sql)) names.set(sql, `phr_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`);
  return sql;
}

/** The statement name of `sql`, when it was marked with `prepared`. */
export function preparedNameOf(sql: string): string | undefined {
  return names.get(sql);
}
