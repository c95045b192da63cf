import pg from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import { DATA_SOURCE, STATEMENT_DATA_SOURCE } from '../../src/db/db.service.js';
import { requestContextStorage, requestScopeStorage } from '../../src/db/request-context.js';
import type { RouteResult } from './http.js';
import type { TestApp } from './test-app.js';

interface Seen {
  sql: string;
  parameters: unknown[] | undefined;
  runner: QueryRunner | undefined;
  /** The request whose transaction ran it, when it ran inside one. */
  contextRequestId: string | undefined;
  /** The request in whose scope it ran (a statement alone, outside a transaction's context). */
  scopeRequestId: string | undefined;
}

/**
 * The SQL statements one request sent to PostgreSQL, in order, as their text
 * (parameters left out): what "the same work" means for two requests that must
 * not be told apart (registration start for a taken and a new address). The
 * API's connection pools report every statement to their logger. Statements
 * are grouped by the connection's query runner (one per transaction, one per
 * statement alone); a group belongs to the request whose id its transaction
 * carries, so the mail sender or a job running meanwhile does not count.
 */
export async function statementsOfRequest(api: TestApp, send: () => Promise<RouteResult<unknown>>): Promise<string[]> {
  return (await sentStatements(api, send)).map((statement) => statement.sql.replace(/\s+/g, ' ').trim());
}

/** The statements one request sent, with their parameters, to run them again (as the same caller, in a transaction rolled back). */
export async function sentStatements(api: TestApp, send: () => Promise<RouteResult<unknown>>): Promise<Array<{ sql: string; parameters: unknown[] }>> {
  const seen: Seen[] = [];
  const restore = [DATA_SOURCE, STATEMENT_DATA_SOURCE].map((token) => listenTo(api.app.get<DataSource>(token), seen));
  let requestId: string | null;
  try {
    requestId = (await send()).headers.get('x-request-id');
  } finally {
    for (const undo of restore) undo();
  }
  if (!requestId) throw new Error('the answer carried no x-request-id');
  const owner = new Map<QueryRunner | undefined, string | undefined>();
  for (const entry of seen) {
    if (entry.contextRequestId) owner.set(entry.runner, entry.contextRequestId);
  }
  const belongs = (entry: Seen) => (owner.get(entry.runner) ?? entry.scopeRequestId) === requestId;
  return seen.filter(belongs).map((entry) => ({ sql: entry.sql, parameters: entry.parameters ?? [] }));
}

function listenTo(dataSource: DataSource, seen: Seen[]): () => void {
  const { logger } = dataSource;
  const original = logger.logQuery.bind(logger);
  logger.logQuery = (query, parameters, queryRunner) => {
    seen.push({
      sql: query,
      parameters: Array.isArray(parameters) ? parameters : undefined,
      runner: queryRunner,
      contextRequestId: requestContextStorage.getStore()?.meta.requestId,
      scopeRequestId: requestScopeStorage.getStore()?.meta.requestId,
    });
    original(query, parameters, queryRunner);
  };
  return () => {
    logger.logQuery = original;
  };
}

/**
 * What the transactions opened while `work` runs send to PostgreSQL, and when each answer comes,
 * in order: each statement as `label(text)` ('send' when it gives null), each answer as
 * `answerLabel(text)` of its statement ('answer' when it gives null) or, failed, 'error'.
 * An answer is noted when node-postgres hands it to its query's callback, in the order the
 * answers arrive, whether the statement went as text or as a Query object. Statements outside a
 * transaction (the rate limiter's sync on its own pool) are left out.
 */
export async function transactionMessages(
  work: () => Promise<unknown>,
  label: (text: string) => string | null = () => null,
  answerLabel: (text: string) => string | null = () => null,
): Promise<string[]> {
  const events: string[] = [];
  const send = pg.Client.prototype.query;
  const submit = pg.Query.prototype.submit;
  const transactions = new Set<pg.Connection>();
  pg.Client.prototype.query = function (this: pg.Client, ...args: Parameters<typeof send>) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text;
    if (text.startsWith('START TRANSACTION')) transactions.add(this.connection);
    if (transactions.has(this.connection)) events.push(label(text) ?? 'send');
    return send.apply(this, args);
  } as typeof send;
  pg.Query.prototype.submit = function (this: pg.Query & { text: string; callback?: (error: unknown, result: unknown) => void }, connection: pg.Connection) {
    const callback = this.callback;
    if (transactions.has(connection) && callback) {
      const answered = answerLabel(this.text) ?? 'answer';
      this.callback = (error, result) => {
        events.push(error ? 'error' : answered);
        callback(error, result);
      };
    }
    return submit.call(this, connection);
  };
  try {
    await work();
  } finally {
    pg.Client.prototype.query = send;
    pg.Query.prototype.submit = submit;
  }
  return events;
}

/** The round trips of `transactionMessages`: runs of statements sent one after the other before an answer comes. */
export function roundTripsOf(events: string[]): number {
  const isAnswer = (event: string | undefined) => event === 'answer' || event === 'error';
  return events.filter((event, i) => !isAnswer(event) && (i === 0 || isAnswer(events[i - 1]))).length;
}
