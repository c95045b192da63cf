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
 * in order: each statement as `label(text)` ('send' when it gives null), each answer as 'answer'
 * or 'error'. Statements outside a transaction (the rate limiter's sync on its own pool) are left out.
 */
export async function transactionMessages(work: () => Promise<unknown>, label: (text: string) => string | null = () => null): Promise<string[]> {
  const events: string[] = [];
  const send = pg.Client.prototype.query;
  const transactions = new Set<pg.Client>();
  pg.Client.prototype.query = function (this: pg.Client, ...args: Parameters<typeof send>) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text;
    if (text.startsWith('START TRANSACTION')) transactions.add(this);
    if (!transactions.has(this)) return send.apply(this, args);
    events.push(label(text) ?? 'send');
    const [query] = args as unknown as [{ submit?: unknown; callback?: (error: unknown, result: unknown) => void }];
    if (typeof query.submit === 'function' && query.callback) {
      // A Query object (the API's prepared statements): its callback is the answer.
      const callback = query.callback;
      query.callback = (error, result) => {
        events.push(error ? 'error' : 'answer');
        callback(error, result);
      };
      return send.apply(this, args);
    }
    const answer = send.apply(this, args) as unknown as Promise<unknown>;
    void answer.then(
      () => events.push('answer'),
      () => events.push('error'),
    );
    return answer;
  } as typeof send;
  try {
    await work();
  } finally {
    pg.Client.prototype.query = send;
  }
  return events;
}

/** The round trips of `transactionMessages`: runs of statements sent one after the other before an answer comes. */
export function roundTripsOf(events: string[]): number {
  const isAnswer = (event: string | undefined) => event === 'answer' || event === 'error';
  return events.filter((event, i) => !isAnswer(event) && (i === 0 || isAnswer(events[i - 1]))).length;
}
