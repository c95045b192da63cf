/**
 * `npm run scan:tls`: the production TLS proxy checked as it ships
 * (docs/security/dynamic-scan.md, "TLS"). The real infra/docker/Caddyfile is
 * started with `caddy run` in front of the local stack (PostgreSQL, the S3
 * store, the API, and the portal built as the web image builds it); its
 * {$PHR_*} placeholders point it at the stack's free ports instead of the
 * Compose services. Then:
 *   - testssl.sh (Debian's package) scans both HTTPS sites; tls-findings.ts
 *     turns its JSON into the verdict;
 *   - Node's TLS client, as a second witness, must fail to agree TLS 1.0 and
 *     1.1 (even with OpenSSL's security level lowered) and must agree 1.2 and
 *     1.3 with the certificate verified against Caddy's root;
 *   - the portal and /api/health answer through Caddy, with HSTS;
 *   - plain HTTP serves nothing of the app: the HTTP port only redirects, and
 *     plain HTTP on the HTTPS ports is refused.
 * Exits 1 on any failure. Reports: test-results/tls/.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { freePort } from '../local/ports.js';
import { run, startChild, stopChild, type Child } from '../local/processes.js';
import { REPO_ROOT, type RunningStack } from '../local/stack.js';
import { startThrowawayStack } from '../local/throwaway-stack.js';
import { tlsSummaryLines, tlsVerdict, type TestsslFinding, type TlsVerdict } from './tls-findings.js';

export const TLS_OUTPUT_DIR = path.join(REPO_ROOT, 'test-results/tls');
const CADDYFILE = path.join(REPO_ROOT, 'infra/docker/Caddyfile');
const VITE = path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js');
const SITE = 'localhost';
/** testssl --full takes 1 to 2 minutes per site on 2 busy cores. */
const TESTSSL_TIMEOUT_MS = 600_000;

interface Proxy {
  portalUrl: string;
  s3Url: string;
  httpPort: number;
  portalPort: number;
  s3Port: number;
  rootCa: string;
  caddy: Child;
}

interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

async function main(): Promise<number> {
  const started = Date.now();
  for (const tool of ['caddy', 'testssl']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed (apt-get install caddy testssl.sh)`);
  }
  await rm(TLS_OUTPUT_DIR, { recursive: true, force: true });
  await mkdir(TLS_OUTPUT_DIR, { recursive: true });
  log('Starting the product (database, object store, API, portal)…');
  // PHR_PREBUILT=1: backend/dist is known to be fresh (saves the compile when run by hand).
  const product = await startThrowawayStack('tls', { build: process.env.PHR_PREBUILT !== '1' });
  const { stack, workDir } = product;
  let proxy: Proxy | undefined;
  try {
    log('Building the portal as the web image does (vite build)…');
    const portalRoot = path.join(workDir, 'portal-dist');
    await run(process.execPath, [VITE, 'build', '--outDir', portalRoot, '--emptyOutDir', '--logLevel', 'warn'], path.join(REPO_ROOT, 'frontend'), {
      VITE_KEY_LOG_PUBLIC_KEY: stack.keyLogPublicKey,
    });
    proxy = await startCaddy(stack, portalRoot, workDir);
    log(`Caddy (infra/docker/Caddyfile) serves ${proxy.portalUrl} and ${proxy.s3Url}; plain HTTP on port ${proxy.httpPort}.`);

    const checks = [...(await protocolChecks(proxy)), ...(await httpChecks(proxy))];
    const verdicts: TlsVerdict[] = [];
    for (const [name, port] of [['portal site', proxy.portalPort], ['object-store site', proxy.s3Port]] as const) {
      log(`testssl.sh --full against the ${name} (${SITE}:${port})…`);
      const seconds = Date.now();
      const report = await runTestssl(port, proxy.rootCa, name.split(' ')[0]);
      log(`  done in ${((Date.now() - seconds) / 1000).toFixed(0)} s`);
      verdicts.push(tlsVerdict(report, `${name} ${SITE}:${port}`));
    }

    const failed = checks.filter((check) => !check.passed).length + verdicts.filter((verdict) => !verdict.passed).length;
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const verdict = failed === 0 ? 'PASSED' : `FAILED: ${failed} check(s)`;
    const lines = [
      ...checks.map((check) => `${check.passed ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`),
      '',
      ...verdicts.flatMap(tlsSummaryLines),
    ];
    await writeFile(path.join(TLS_OUTPUT_DIR, 'verdict.json'), JSON.stringify({ verdict, seconds: Number(seconds), checks, verdicts }, null, 2));
    await writeFile(path.join(TLS_OUTPUT_DIR, 'summary.md'), `# TLS check\n\n${verdict} (${seconds} s)\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`);
    console.log(['', ...lines, '', `TLS check ${verdict} in ${seconds} s. Reports: ${path.relative(REPO_ROOT, TLS_OUTPUT_DIR)}/`].join('\n'));
    return failed === 0 ? 0 : 1;
  } finally {
    if (proxy) await stopChild(proxy.caddy);
    await product.stop();
  }
}

async function startCaddy(stack: RunningStack, portalRoot: string, workDir: string): Promise<Proxy> {
  const [httpPort, portalPort, s3Port] = [await freePort(), await freePort(), await freePort()];
  const caddyHome = path.join(workDir, 'caddy');
  const caddy = startChild('caddy', 'caddy', ['run', '--config', CADDYFILE, '--adapter', 'caddyfile'], {
    cwd: workDir,
    log: () => undefined,
    env: {
      PATH: process.env.PATH,
      // Caddy keeps its CA and certificates here, not in the user's home.
      HOME: caddyHome,
      XDG_DATA_HOME: path.join(caddyHome, 'data'),
      XDG_CONFIG_HOME: path.join(caddyHome, 'config'),
      PHR_SITE: SITE,
      PHR_HTTP_PORT: String(httpPort),
      PHR_PORTAL_PORT: String(portalPort),
      PHR_S3_PORT: String(s3Port),
      PHR_API_UPSTREAM: new URL(stack.apiUrl).host,
      PHR_S3_UPSTREAM: new URL(stack.s3Endpoint).host,
      PHR_PORTAL_ROOT: portalRoot,
    },
  });
  const rootCa = path.join(caddyHome, 'data/caddy/pki/authorities/local/root.crt');
  const proxy = { portalUrl: `https://${SITE}:${portalPort}`, s3Url: `https://${SITE}:${s3Port}`, httpPort, portalPort, s3Port, rootCa, caddy };
  const deadline = Date.now() + 30_000;
  let exited = false;
  void caddy.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    if (existsSync(rootCa)) {
      const ca = await readFile(rootCa, 'utf8');
      const answer = await get(`${proxy.portalUrl}/api/health`, ca).catch(() => undefined);
      if (answer?.status === 200) return proxy;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stopChild(caddy);
  throw new Error(exited ? 'caddy exited at start (is the Caddyfile valid?)' : 'Caddy did not serve /api/health within 30 s');
}

/** Node's TLS client as a second witness of the protocol versions (testssl uses its own sockets and OpenSSL). */
async function protocolChecks(proxy: Proxy): Promise<Check[]> {
  const ca = await readFile(proxy.rootCa, 'utf8');
  const checks: Check[] = [];
  for (const port of [proxy.portalPort, proxy.s3Port]) {
    for (const version of ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const) {
      const outcome = await handshake(port, version, ca);
      const wanted = version === 'TLSv1.2' || version === 'TLSv1.3';
      checks.push({
        name: `${version} on port ${port} ${wanted ? 'agreed, certificate verified' : 'refused'}`,
        passed: wanted ? outcome.agreed === version && outcome.authorized === true : !outcome.agreed,
        detail: outcome.agreed ? `agreed ${outcome.agreed} with ${outcome.cipher}${outcome.authorized ? ', certificate verified' : ''}` : `refused (${outcome.error})`,
      });
    }
  }
  return checks;
}

function handshake(port: number, version: tls.SecureVersion, ca: string): Promise<{ agreed?: string; cipher?: string; authorized?: boolean; error?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: SITE,
      ca,
      minVersion: version,
      maxVersion: version,
      // OpenSSL 3 itself refuses TLS 1.0/1.1 at the default level: lower it, so only the server can refuse.
      ciphers: 'DEFAULT@SECLEVEL=0',
      rejectUnauthorized: false,
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
    socket.once('secureConnect', () => {
      const result = { agreed: socket.getProtocol() ?? undefined, cipher: socket.getCipher().standardName, authorized: socket.authorized };
      socket.end();
      resolve(result);
    });
    // OpenSSL's messages end in its source location: keep the reason ("tlsv1 alert protocol version").
    socket.once('error', (error: Error) => resolve({ error: /:([^:]+):[^:]*:\d+:/.exec(error.message)?.[1] ?? error.message.trim() }));
  });
}

async function httpChecks(proxy: Proxy): Promise<Check[]> {
  const ca = await readFile(proxy.rootCa, 'utf8');
  const checks: Check[] = [];
  const hstsOf = (headers: http.IncomingHttpHeaders) => String(headers['strict-transport-security'] ?? '');
  const strongHsts = (value: string) => /max-age=(\d+)/.test(value) && Number(/max-age=(\d+)/.exec(value)?.[1]) >= 31_536_000;

  const portal = await get(`${proxy.portalUrl}/`, ca);
  checks.push({
    name: 'portal through Caddy',
    passed: portal.status === 200 && portal.body.includes('<script type="module"') && strongHsts(hstsOf(portal.headers)),
    detail: `${portal.status}, ${portal.body.length} bytes of HTML, HSTS "${hstsOf(portal.headers)}"`,
  });
  const health = await get(`${proxy.portalUrl}/api/health`, ca);
  checks.push({
    name: '/api/health through Caddy',
    passed: health.status === 200 && strongHsts(hstsOf(health.headers)),
    detail: `${health.status} ${health.body.slice(0, 60)}, HSTS "${hstsOf(health.headers)}"`,
  });
  const store = await get(`${proxy.s3Url}/`, ca);
  checks.push({ name: 'object store through Caddy sends HSTS', passed: strongHsts(hstsOf(store.headers)), detail: `${store.status}, HSTS "${hstsOf(store.headers)}"` });

  for (const route of ['/', '/api/health']) {
    const plain = await get(`http://${SITE}:${proxy.httpPort}${route}`);
    const location = String(plain.headers.location ?? '');
    checks.push({
      name: `plain HTTP ${route} only redirects to HTTPS`,
      passed: plain.status >= 301 && plain.status <= 308 && location.startsWith(`https://${SITE}:${proxy.portalPort}/`) && plain.body.length === 0,
      detail: `${plain.status} → ${location}, ${plain.body.length} bytes`,
    });
  }
  for (const port of [proxy.portalPort, proxy.s3Port]) {
    const plain = await get(`http://${SITE}:${port}/api/health`);
    checks.push({
      name: `plain HTTP on HTTPS port ${port} is refused`,
      passed: plain.status === 400 && !plain.body.includes('"status"'),
      detail: `${plain.status} ${plain.body.trim().slice(0, 60)}`,
    });
  }
  return checks;
}

function get(url: string, ca?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const options = { host: '127.0.0.1', port: target.port, path: target.pathname, headers: { host: target.host }, servername: SITE, ca, timeout: 10_000 };
    const request = (target.protocol === 'https:' ? https : http).get(options, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`${url}: timeout`)));
    request.on('error', reject);
  });
}

function runTestssl(port: number, rootCa: string, name: string): Promise<TestsslFinding[]> {
  const jsonFile = path.join(TLS_OUTPUT_DIR, `testssl-${name}.json`);
  const logFile = path.join(TLS_OUTPUT_DIR, `testssl-${name}.log`);
  const args = ['--quiet', '--warnings', 'batch', '--color', '0', '--add-ca', rootCa, '--jsonfile', jsonFile, '--full', `${SITE}:${port}`];
  return new Promise((resolve, reject) => {
    const child = spawn('testssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), TESTSSL_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      void writeFile(logFile, output)
        .then(() => readFile(jsonFile, 'utf8'))
        .then((text) => resolve(JSON.parse(text) as TestsslFinding[]))
        .catch(() => reject(new Error(`testssl (${signal ?? `exit ${code}`}) wrote no report; see ${path.relative(REPO_ROOT, logFile)}`)));
    });
  });
}

function log(line: string): void {
  console.log(`[tls] ${line}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`TLS check failed to run: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
