import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import { API_PREFIX, ROUTES } from '@phr/shared-types';
import { buildOpenApiDocument } from '../src/common/swagger.js';
import { testClient } from './support/http.js';
import { ROUTE_ACCESS } from './support/route-access.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const COMMITTED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../openapi.json');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** "GET /auth/prelogin" for each operation of the document, with {id} written as :id. */
function operationsOf(document: OpenAPIObject): string[] {
  return Object.entries(document.paths).flatMap(([openApiPath, item]) =>
    METHODS.filter((method) => item[method]).map(
      (method) => `${method.toUpperCase()} ${openApiPath.slice(API_PREFIX.length).replace(/\{(\w+)\}/g, ':$1')}`,
    ),
  );
}

describe('the OpenAPI document and the shared contract agree', () => {
  let api: TestApp;
  let document: OpenAPIObject;

  beforeAll(async () => {
    api = await startTestApp();
    document = buildOpenApiDocument(api.app);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('documents exactly the routes of the contract, no more and no fewer', () => {
    const contract = Object.values(ROUTES).map((route) => `${route.method} ${route.path}`);
    expect(operationsOf(document).sort()).toEqual(contract.sort());
  });

  it('marks every protected route with bearer auth and documents 401 and 403', () => {
    for (const [name, route] of Object.entries(ROUTES)) {
      const operation = document.paths[`${API_PREFIX}${route.path.replace(/:(\w+)/g, '{$1}')}`][route.method.toLowerCase() as 'get'];
      if (ROUTE_ACCESS[name as keyof typeof ROUTES] === 'public') continue;
      expect({ name, security: operation?.security }).toEqual({ name, security: [{ bearer: [] }] });
      expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['401', '403']));
    }
  });

  it('gives every error answer the one ErrorResponse schema (readiness answers 503 with its own body)', () => {
    for (const [openApiPath, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        for (const [status, response] of Object.entries(item[method]?.responses ?? {})) {
          if (Number(status) < 400) continue;
          if (openApiPath === `${API_PREFIX}${ROUTES.health.path}` && status === '503') {
            expect((response as { content?: Record<string, { schema: unknown }> }).content?.['application/json'].schema).toEqual({
              $ref: '#/components/schemas/HealthResponseDto',
            });
            continue;
          }
          expect((response as { content?: Record<string, { schema: unknown }> }).content?.['application/json'].schema).toEqual({
            $ref: '#/components/schemas/ErrorResponseDto',
          });
        }
      }
    }
  });

  it('describes every derived key and wrap with the labels the portal uses (docs/protocol.md)', () => {
    const descriptions = JSON.stringify(document).match(/"description":"(?:[^"\\]|\\.)*"/g) ?? [];
    const aboutKeys = descriptions.filter((text) => /HKDF|AES-GCM|Sealed blob|RSA-OAEP/.test(text));
    expect(aboutKeys.length).toBeGreaterThan(10);
    for (const text of aboutKeys.filter((item) => /HKDF|AES-GCM|Sealed blob/.test(item))) expect(text).toMatch(/phr\/v1\//);
    expect(descriptions.filter((text) => /info \\?"(auth|kek|recovery-auth|recovery-kek)\\?"|, \\?"(auth|recovery-auth)\\?"\)/.test(text))).toEqual([]);
  });

  it('matches the committed openapi.json (regenerate with UPDATE_OPENAPI=1 npm test)', async () => {
    const generated = `${JSON.stringify(document, null, 2)}\n`;
    if (process.env.UPDATE_OPENAPI === '1') await writeFile(COMMITTED, generated);
    expect(await readFile(COMMITTED, 'utf8')).toBe(generated);
  });

  it('serves Swagger UI at /api/docs and the document at /api/docs/json', async () => {
    const ui = await fetch(`${api.baseUrl}/api/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
    // The document is served beside the API, not by a route of the contract.
    const json = await testClient(api.baseUrl).unchecked().request('GET', '/docs/json');
    expect(json.status).toBe(200);
    expect(operationsOf(json.body as OpenAPIObject).sort()).toEqual(operationsOf(document).sort());
  });

  it('serves the page’s own stylesheet and script from the API (its CSP allows nothing inline)', async () => {
    const page = await (await fetch(`${api.baseUrl}/api/docs`)).text();
    expect(page).toContain("href='/api/docs/workbench.css'");
    expect(page).toContain("src='/api/docs/workbench.js'");
    const css = await fetch(`${api.baseUrl}/api/docs/workbench.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('body > svg:first-of-type');
    const script = await fetch(`${api.baseUrl}/api/docs/workbench.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const init = await (await fetch(`${api.baseUrl}/api/docs/swagger-ui-init.js`)).text();
    expect(init).toMatch(/"persistAuthorization": true/);
  });
});
