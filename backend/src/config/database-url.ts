/**
 * DATABASE_URL may name several hosts, the libpq way
 * (`postgres://user:pw@db1:5432,db2:5432/phr?target_session_attrs=read-write`, which is what
 * pg_auto_failover's `pg_autoctl show uri` prints): the API then connects to whichever of them
 * is the writable primary now (db/primary-locator.ts, docs/running.md "Automatic failover").
 * node-postgres and the WHATWG URL parser take one host only, so the list is split here into
 * one single-host URL per host, each with the same credentials, database and parameters.
 */

export interface DatabaseHost {
  /** As node-postgres takes it: an IPv6 address without brackets. */
  host: string;
  port: number;
  /** DATABASE_URL with this host alone. */
  url: string;
}

const DEFAULT_PORT = 5432;

/** target_session_attrs values that ask for a writable server: the API writes in every transaction. */
const WRITABLE_SESSION_ATTRS = ['read-write', 'primary'];

const SCHEMES = ['postgres://', 'postgresql://'];

export class DatabaseUrlError extends Error {}

/**
 * The hosts of a PostgreSQL URL, in the order given, each with the URL of that host alone.
 * A URL with one host comes back as it was.
 */
export function databaseHostsOf(databaseUrl: string): DatabaseHost[] {
  const scheme = SCHEMES.find((candidate) => databaseUrl.startsWith(candidate));
  // Not a PostgreSQL URL: the configuration's own check says so.
  if (!scheme) return [{ host: '', port: DEFAULT_PORT, url: databaseUrl }];
  const afterScheme = databaseUrl.slice(scheme.length);
  const authorityEnd = firstIndexOf(afterScheme, ['/', '?', '#']);
  const authority = afterScheme.slice(0, authorityEnd);
  const rest = afterScheme.slice(authorityEnd);
  const userInfoEnd = authority.lastIndexOf('@') + 1;
  const userInfo = authority.slice(0, userInfoEnd);
  const entries = authority.slice(userInfoEnd).split(',');
  if (entries.length === 1) return [{ ...hostAndPort(entries[0]), url: databaseUrl }];
  if (entries.some((entry) => entry === '')) throw new DatabaseUrlError('lists an empty host');
  const sessionAttrs = new URLSearchParams(rest.split('?')[1]?.split('#')[0] ?? '').get('target_session_attrs');
  if (sessionAttrs !== null && !WRITABLE_SESSION_ATTRS.includes(sessionAttrs)) {
    throw new DatabaseUrlError(`lists several hosts with target_session_attrs=${sessionAttrs}; the API writes, so it always looks for the writable primary (read-write, or leave it out)`);
  }
  const hosts = entries.map((entry) => ({ ...hostAndPort(entry), url: `${scheme}${userInfo}${entry}${rest}` }));
  const seen = new Set(hosts.map(({ host, port }) => `${host}:${port}`));
  if (seen.size !== hosts.length) throw new DatabaseUrlError('lists the same host twice');
  return hosts;
}

function hostAndPort(entry: string): { host: string; port: number } {
  const [host, port] = entry.startsWith('[') ? splitBracketed(entry) : splitPort(entry);
  if (port === undefined || port === '') return { host, port: DEFAULT_PORT };
  const number = Number(port);
  if (!/^\d{1,5}$/.test(port) || number < 1 || number > 65535) throw new DatabaseUrlError(`has an invalid port "${port}"`);
  return { host, port: number };
}

/** `[::1]:5432`: an IPv6 address in brackets, then maybe a port. */
function splitBracketed(entry: string): [string, string | undefined] {
  const close = entry.indexOf(']');
  if (close === -1 || (close < entry.length - 1 && entry[close + 1] !== ':')) throw new DatabaseUrlError(`has an invalid host "${entry}"`);
  return [entry.slice(1, close), close < entry.length - 1 ? entry.slice(close + 2) : undefined];
}

function splitPort(entry: string): [string, string | undefined] {
  const colon = entry.lastIndexOf(':');
  return colon === -1 ? [entry, undefined] : [entry.slice(0, colon), entry.slice(colon + 1)];
}

function firstIndexOf(text: string, characters: string[]): number {
  const found = characters.map((character) => text.indexOf(character)).filter((index) => index !== -1);
  return found.length === 0 ? text.length : Math.min(...found);
}
