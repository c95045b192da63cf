/**
 * The dynamic scan (docs/security/dynamic-scan.md): the whole product started
 * as `npm start` starts it, on free ports with its data in a temporary folder,
 * a patient signed in, then wapiti against the API (with the patient's token)
 * and against the portal. Reports go to test-results/scan/; the scan fails on
 * any high or critical finding (findings.ts).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HOST_REFRESH_COOKIE_NAME } from '@phr/shared-types';
import { REPO_ROOT, stackMailbox, type RunningStack } from '../local/stack.js';
import { startThrowawayStack } from '../local/throwaway-stack.js';
import { blockingFindings, findingsOf, summaryLines, type Finding, type WapitiReport } from './findings.js';
import { startBuiltPortal } from './portal.js';
import { FORMS_PATH, formsPage, startScanFront } from './scan-front.js';
import { seedScanData, type ScanSeed } from './seed.js';
import { apiStartUrls, bodyValue, readOpenApi } from './targets.js';
import { runWapiti, type WapitiLimits, type WapitiTarget } from './wapiti.js';

export const OUTPUT_DIR = path.join(REPO_ROOT, 'test-results/scan');

/**
 * Per target: crawl, each module, and the whole run (above crawl + 14 modules × module limit,
 * so it only stops a hung wapiti). In practice the passive modules take a second and the
 * injecting ones up to their limit: 2 to 4 minutes for the API on 2 busy cores.
 */
const API_LIMITS: WapitiLimits = { crawlSeconds: 60, moduleSeconds: 30, hardSeconds: 600 };
const PORTAL_LIMITS: WapitiLimits = { crawlSeconds: 30, moduleSeconds: 15, hardSeconds: 300 };

export async function scan(): Promise<number> {
  const started = Date.now();
  await rm(OUTPUT_DIR, { recursive: true, force: true });
  await mkdir(OUTPUT_DIR, { recursive: true });
  log('Starting the product (database, object store, API, portal)…');
  const product = await startThrowawayStack('scan', { build: true });
  const { stack, workDir } = product;
  try {
    const seed = await seedScanData({ baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl });
    log(`Signed in as a patient with a folder, a record and a consent for a doctor (${stack.apiUrl}).`);
    const findings = await scanTargets(stack, seed, workDir);

    const blocking = blockingFindings(findings);
    const lines = summaryLines(findings);
    const verdict = blocking.length === 0 ? 'PASSED: no high or critical finding' : `FAILED: ${blocking.length} high or critical finding(s)`;
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    await writeFile(path.join(OUTPUT_DIR, 'findings.json'), JSON.stringify({ verdict, seconds: Number(seconds), findings }, null, 2));
    await writeFile(path.join(OUTPUT_DIR, 'summary.md'), `# Dynamic scan\n\n${verdict} (${seconds} s)\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`);
    console.log(['', ...lines, '', `Scan ${verdict} in ${seconds} s. Reports: ${path.relative(REPO_ROOT, OUTPUT_DIR)}/`].join('\n'));
    return blocking.length === 0 ? 0 : 1;
  } finally {
    await product.stop();
  }
}

async function scanTargets(stack: RunningStack, seed: ScanSeed, workDir: string): Promise<Finding[]> {
  const openApi = await readOpenApi();
  const front = await startScanFront(stack.apiUrl, formsPage(openApi, (field, schema) => bodyValue(field, schema, seed)));
  try {
    const refreshCookie = seed.patient.client.cookies.get(HOST_REFRESH_COOKIE_NAME);
    const api: WapitiTarget = {
      name: 'api',
      baseUrl: `${front.url}/api/`,
      startUrls: [...apiStartUrls(openApi, front.url, seed), `${front.url}/api/docs`, `${front.url}/api/docs/json`, `${front.url}${FORMS_PATH}`],
      excludedUrls: [],
      headers: { Authorization: `Bearer ${seed.patient.token}`, ...(refreshCookie ? { Cookie: `${HOST_REFRESH_COOKIE_NAME}=${refreshCookie}` } : {}) },
    };
    const findings = await scanTarget(api, API_LIMITS, workDir);

    log('Building the portal as production ships it, served by vite preview…');
    const builtPortal = await startBuiltPortal(stack.apiUrl, stack.keyLogPublicKey, path.join(workDir, 'portal-dist'), () => undefined);
    try {
      const portal: WapitiTarget = {
        name: 'portal',
        baseUrl: `${builtPortal.url}/`,
        startUrls: ['/', '/login', '/register'].map((route) => `${builtPortal.url}${route}`),
        excludedUrls: [],
        headers: {},
      };
      findings.push(...(await scanTarget(portal, PORTAL_LIMITS, workDir)));
    } finally {
      await builtPortal.stop();
    }
    return findings;
  } finally {
    await front.stop();
  }
}

async function scanTarget(target: WapitiTarget, limits: WapitiLimits, workDir: string): Promise<Finding[]> {
  log(`Scanning the ${target.name} with wapiti (crawl ≤ ${limits.crawlSeconds} s, each module ≤ ${limits.moduleSeconds} s)…`);
  const result = await runWapiti(target, limits, OUTPUT_DIR, path.join(workDir, `wapiti-${target.name}`));
  const report = JSON.parse(await readFile(result.reportPath, 'utf8')) as WapitiReport;
  log(`  done in ${result.seconds.toFixed(0)} s; report ${path.relative(REPO_ROOT, result.reportPath)}, log ${path.relative(REPO_ROOT, result.logPath)}`);
  if (result.crawlCutShort) log(`  the crawl stopped at its ${limits.crawlSeconds} s limit`);
  if (result.modulesCutShort.length) log(`  stopped at the ${limits.moduleSeconds} s module limit before trying every payload: ${result.modulesCutShort.join(', ')}`);
  return findingsOf(report, target.name);
}

function log(line: string): void {
  console.log(`[scan] ${line}`);
}
