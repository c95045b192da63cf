/**
 * The dynamic scan's own logic (infra/scan, docs/security/dynamic-scan.md):
 * which wapiti findings fail it, what it tells wapiti to start from, and how it
 * notices that a limit cut the scan short. The scan itself runs in CI as
 * `npm run scan`.
 */
import { describe, expect, it } from '@jest/globals';
import { ROUTES } from '@phr/shared-types';
import { blockingFindings, findingsOf, severityOf, summaryLines, type WapitiReport } from '../scan/findings.js';
import { formToJson, formsPage } from '../scan/scan-front.js';
import type { ScanSeed } from '../scan/seed.js';
import { apiStartUrls, bodyValue, readOpenApi } from '../scan/targets.js';
import { limitsReached } from '../scan/wapiti.js';

function entry(level: number | string, path = '/api/me', parameter = '') {
  return { method: 'GET', path, info: 'something', level, parameter, curl_command: 'curl' };
}

const seed = {
  patient: { userId: '11111111-1111-4111-8111-111111111111', request: { email: 'p@example.org', authKey: 'auth-key', recovery: { recoveryAuthKey: 'recovery-key' } } },
  doctor: { userId: '22222222-2222-4222-8222-222222222222' },
  folderId: '33333333-3333-4333-8333-333333333333',
  recordId: '44444444-4444-4444-8444-444444444444',
  consentId: '55555555-5555-4555-8555-555555555555',
} as unknown as ScanSeed;

describe('the dynamic scan', () => {
  it("maps wapiti's levels to severities, and an unknown level to high", () => {
    expect([4, 3, 2, 1, 0].map(severityOf)).toEqual(['critical', 'high', 'medium', 'low', 'info']);
    expect(severityOf('3')).toBe('high');
    expect(severityOf(7)).toBe('high');
  });

  it('fails on high and critical vulnerabilities and anomalies, not on medium or low ones', () => {
    const report: WapitiReport = {
      vulnerabilities: { 'HTTP Secure Headers': [entry(1)], 'SQL Injection': [entry(4, '/api/records', 'limit')], 'Open Redirect': [entry(2)] },
      anomalies: { 'Internal Server Error': [entry(3, '/api/auth/register', 'displayName')], 'Resource consumption': [entry(2)] },
      additionals: {},
    };
    const findings = findingsOf(report, 'api');
    expect(findings).toHaveLength(5);
    const blocking = blockingFindings(findings);
    expect(blocking.map((finding) => [finding.category, finding.module, finding.severity])).toEqual([
      ['SQL Injection', 'sql', 'critical'],
      ['Internal Server Error', 'any injecting module', 'high'],
    ]);
    expect(summaryLines(findings)[0]).toBe('Findings: 5 (critical 1, high 1, medium 2, low 1, info 0)');
  });

  it('passes a report with only low findings, and an empty one', () => {
    expect(blockingFindings(findingsOf({ vulnerabilities: { 'HTTP Secure Headers': [entry(1), entry('1')] } }, 'portal'))).toEqual([]);
    expect(blockingFindings(findingsOf({}, 'api'))).toEqual([]);
  });

  it('starts from every GET route of the contract, with every path parameter filled', async () => {
    const urls = apiStartUrls(await readOpenApi(), 'http://127.0.0.1:1', seed).map((url) => new URL(url));
    const getRoutes = Object.values(ROUTES).filter((route) => route.method === 'GET');
    for (const route of getRoutes) {
      // eslint-disable-next-line security/detect-non-literal-regexp -- built from the contract's own route paths
      const pattern = new RegExp(`^/api${route.path.replace(/:\w+/g, '[0-9a-f-]{36}')}$`);
      expect(urls.some((url) => pattern.test(url.pathname))).toBe(true);
    }
    expect(urls.every((url) => !url.pathname.includes('{'))).toBe(true);
    const records = urls.find((url) => url.pathname === '/api/records');
    expect(records?.searchParams.get('folderId')).toBe(seed.folderId);
    expect(records?.searchParams.has('cursor')).toBe(false);
  });

  it('gives every POST route with a flat field a form, and never the real current auth key', async () => {
    const openApi = await readOpenApi();
    const page = formsPage(openApi, (field, schema) => bodyValue(field, schema, seed));
    for (const route of [ROUTES.login, ROUTES.createFolder, ROUTES.presignUpload, ROUTES.commitRecord, ROUTES.changePassword, ROUTES.searchDoctors]) {
      expect(page).toContain(`<form method="post" action="/api${route.path}">`);
    }
    expect(page).toContain(`name="email" value="${seed.patient.request.email}"`);
    // The doctor search takes its fragment in the body: one that finds the seeded doctor, so the attack gets past validation.
    expect(page).toContain('name="q" value="Dr"');
    expect(page).not.toMatch(/name="currentAuthKey" value="auth-key"/);
  });

  it('turns a form body into the JSON object the API takes, so payloads reach their field', () => {
    expect(formToJson('email=a%40b.org&size=42&folderId=&tags=x&tags=y&ok=true')).toEqual({
      email: 'a@b.org',
      size: 42,
      folderId: '',
      tags: ['x', 'y'],
      ok: true,
    });
    const polluting = formToJson('__proto__=x&constructor=y');
    expect(Object.keys(polluting)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(polluting)).toBe(Object.prototype);
    expect(JSON.stringify(polluting)).toBe('{"__proto__":"x","constructor":"y"}');
  });

  it('notices when a limit stopped the crawl or a module', () => {
    const log = '[*] Launching module file\nMax attack time was reached for module file, stopping.\nMax attack time was reached for module blindsql, stopping.\n';
    expect(limitsReached(log)).toEqual({ crawlCutShort: false, modulesCutShort: ['file', 'blindsql'] });
    expect(limitsReached('Max scan time was reached, stopping.').crawlCutShort).toBe(true);
  });
});
