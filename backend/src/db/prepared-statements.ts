/**
 * Statements sent as named prepared statements (issue 14). PostgreSQL plans an
 * unnamed statement at every execution; under RLS a doctor's record read spent
 * longer in planning (~0.6 ms: the policies and the functions they inline)
 * than in execution (~0.4 ms). A named statement is parsed once per pooled
 * connection, and after five executions PostgreSQL keeps a generic plan when
 * it costs no more than the custom ones (the RLS context comes from
 * current_setting() at execution, so a cached plan serves every caller).
 *
 * Only fixed texts of the hottest paths are registered: each costs a little
 * memory in every server connection for the connection's life. A migration
 * that changes a table they read invalidates their plans (PostgreSQL re-plans
 * them); the pool's connections carry no other state across requests.
 */
const namesByText = new Map<string, string>();

/** Registers `text` under `name` (unique) and returns the text unchanged, for a repository's constant. */
export function preparedStatement(name: string, text: string): string {
  const taken = [...namesByText].find(([, taker]) => taker === name);
  if (taken && taken[0] !== text) throw new Error(`Two prepared statements are named ${name}`);
  namesByText.set(text, name);
  return text;
}

/** The name `text` is prepared under, or undefined for a statement sent unnamed. */
export function preparedNameOf(text: string): string | undefined {
  return namesByText.get(text);
}
