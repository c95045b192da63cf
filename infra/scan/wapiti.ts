/**
 * One run of Debian's wapiti (3.0.4, bookworm main) against one origin, with
 * its JSON report, its console output and its session kept apart from the
 * user's ~/.wapiti. Bounded twice: wapiti's own crawl and per-module limits,
 * and a hard deadline after which the process is killed and the run fails.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';

/**
 * Wapiti's default modules minus `ssrf` (it needs wapiti3.ovh on the Internet
 * and the API fetches no user-given URL), plus the ones that apply to an API
 * and a static portal: CRLF in headers, backup copies of files, access-control
 * bypass with odd methods, and the methods OPTIONS admits (`methods` writes
 * those to the log only, never to the report).
 * Not used: `nikto` and `wapp` (their databases are downloaded at run time; CI
 * has no Internet), `buster` (minutes of path guessing), `brute_login_form`
 * (no HTML login form; the login throttle is tested in
 * backend/test/login-throttle.spec.ts), `csrf` (it flags every form without a
 * token field, and the API authenticates with a bearer header that no
 * cross-site form can send), `shellshock` (no CGI), `xxe` (no route parses XML).
 */
export const SCAN_MODULES = [
  'blindsql',
  'cookieflags',
  'csp',
  'exec',
  'file',
  'http_headers',
  'permanentxss',
  'redirect',
  'sql',
  'xss',
  'crlf',
  'methods',
  'backup',
  'htaccess',
] as const;

export interface WapitiTarget {
  /** Names the report files: `<name>.json`, `<name>.log`. */
  name: string;
  /** Base URL; the scope is its folder. */
  baseUrl: string;
  startUrls: string[];
  /** Exact URLs only: Debian's 3.0.4 under Python 3.11 crashes on any `*` pattern (its regex puts `(?ms)` last). */
  excludedUrls: string[];
  headers: Record<string, string>;
}

export interface WapitiLimits {
  crawlSeconds: number;
  moduleSeconds: number;
  /** The whole run, crawl and attacks; past it the process is killed. */
  hardSeconds: number;
}

export interface WapitiRun {
  reportPath: string;
  logPath: string;
  seconds: number;
  /** Whether the crawl stopped at its time limit, and the modules that stopped at theirs. */
  crawlCutShort: boolean;
  modulesCutShort: string[];
}

/** What wapiti prints when a limit stops it (wapitiCore/main/wapiti.py). */
export function limitsReached(log: string): Pick<WapitiRun, 'crawlCutShort' | 'modulesCutShort'> {
  return {
    crawlCutShort: log.includes('Max scan time was reached'),
    modulesCutShort: [...log.matchAll(/Max attack time was reached for module (\w+)/g)].map((match) => match[1]),
  };
}

export function wapitiArguments(target: WapitiTarget, limits: WapitiLimits, outputDir: string, sessionDir: string): string[] {
  const args = [
    '--url', target.baseUrl,
    '--scope', 'folder',
    '--module', SCAN_MODULES.join(','),
    // Level 2 also injects into the query string of URLs that have no parameter.
    '--level', '2',
    '--depth', '6',
    '--max-links-per-page', '200',
    '--max-scan-time', String(limits.crawlSeconds),
    '--max-attack-time', String(limits.moduleSeconds),
    '--timeout', '10',
    '--format', 'json',
    '--output', path.join(outputDir, `${target.name}.json`),
    '--store-session', sessionDir,
    '--store-config', sessionDir,
    '--flush-session',
    '--no-bugreport',
    '--verbose', '1',
  ];
  for (const url of target.startUrls) args.push('--start', url);
  for (const url of target.excludedUrls) args.push('--exclude', url);
  for (const [name, value] of Object.entries(target.headers)) args.push('--header', `${name}: ${value}`);
  return args;
}

export function runWapiti(target: WapitiTarget, limits: WapitiLimits, outputDir: string, sessionDir: string): Promise<WapitiRun> {
  const reportPath = path.join(outputDir, `${target.name}.json`);
  const logPath = path.join(outputDir, `${target.name}.log`);
  const log = createWriteStream(logPath);
  const started = Date.now();
  const child = spawn('wapiti', wapitiArguments(target, limits, outputDir, sessionDir), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.pipe(log, { end: false });
    stream.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  }
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wapiti (${target.name}) ran past ${limits.hardSeconds} s and was stopped; see ${logPath}`));
    }, limits.hardSeconds * 1000);
    child.once('error', (error) => {
      clearTimeout(deadline);
      reject(new Error(`wapiti could not start (${error.message}); install it with: apt-get install wapiti`));
    });
    child.once('exit', (code) => {
      clearTimeout(deadline);
      log.end();
      const seconds = (Date.now() - started) / 1000;
      if (code === 0) resolve({ reportPath, logPath, seconds, ...limitsReached(output) });
      else reject(new Error(`wapiti (${target.name}) exited with ${code}; see ${logPath}`));
    });
  });
}
