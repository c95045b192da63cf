import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { API_PREFIX, ERROR_CODES, ROUTES } from '@phr/shared-types';
import { OPERATION_DESCRIPTIONS } from '../src/common/operation-descriptions.js';
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

  it('describes every operation, and describes no operation that is gone', () => {
    const operations = Object.values(document.paths).flatMap((item) => METHODS.map((method) => item[method]).filter((operation) => operation !== undefined));
    const undescribed = operations.filter((operation) => !operation.description || operation.description.trim().length < 40).map((operation) => operation.operationId);
    expect(undescribed).toEqual([]);
    const ids = new Set(operations.map((operation) => operation.operationId));
    expect(Object.keys(OPERATION_DESCRIPTIONS).filter((id) => !ids.has(id))).toEqual([]);
    // Who may call is said the same way everywhere it is said, and agrees with the route table.
    for (const [name, route] of Object.entries(ROUTES)) {
      const operation = document.paths[`${API_PREFIX}${route.path.replace(/:(\w+)/g, '{$1}')}`][route.method.toLowerCase() as 'get'];
      const who = /^Who: ([^.]*)\./.exec(operation?.description ?? '')?.[1];
      if (who === undefined) continue;
      const access = ROUTE_ACCESS[name as keyof typeof ROUTES];
      if (access === 'public') expect({ name, who: who.startsWith('public') }).toEqual({ name, who: true });
      else expect({ name, roles: ['patient', 'doctor', 'auditor', 'operator'].filter((role) => who.includes(role)) }).toEqual({ name, roles: [...access].sort((a, b) => ['patient', 'doctor', 'auditor', 'operator'].indexOf(a) - ['patient', 'doctor', 'auditor', 'operator'].indexOf(b)) });
    }
  });

  it('gives each error answer examples of its own status and codes, not the 400 of the schema', () => {
    const codesOf: Record<string, string[]> = {
      '400': [ERROR_CODES.validation],
      '401': [ERROR_CODES.unauthenticated],
      '403': [ERROR_CODES.forbidden, ERROR_CODES.secondFactorRequired],
      '404': [ERROR_CODES.notFound],
      '409': [ERROR_CODES.conflict],
      '410': [ERROR_CODES.accessEnded],
      '413': [ERROR_CODES.payloadTooLarge],
      '429': [ERROR_CODES.tooManyRequests, ERROR_CODES.proofOfWorkRequired],
      '503': [ERROR_CODES.serviceUnavailable],
    };
    let checked = 0;
    for (const [openApiPath, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        for (const [status, response] of Object.entries(item[method]?.responses ?? {})) {
          if (Number(status) < 400 || (openApiPath === `${API_PREFIX}${ROUTES.health.path}` && status === '503')) continue;
          const examples = (response as { content?: Record<string, { examples?: Record<string, { value: { statusCode: number; code: string } }> }> }).content?.['application/json'].examples ?? {};
          const values = Object.values(examples).map((example) => example.value);
          expect({ at: `${method} ${openApiPath} ${status}`, count: values.length > 0 }).toEqual({ at: `${method} ${openApiPath} ${status}`, count: true });
          for (const value of values) {
            expect({ at: `${method} ${openApiPath} ${status}`, statusCode: value.statusCode, isKnownCode: codesOf[status]?.includes(value.code) }).toEqual({ at: `${method} ${openApiPath} ${status}`, statusCode: Number(status), isKnownCode: true });
            checked += 1;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
    const login = document.paths[`${API_PREFIX}${ROUTES.login.path}`].post?.responses['429'] as { content: Record<string, { examples: Record<string, unknown> }> };
    expect(Object.keys(login.content['application/json'].examples).sort()).toEqual([ERROR_CODES.proofOfWorkRequired, ERROR_CODES.tooManyRequests]);
  });

  it('documents the audit export’s success answer, and the hash-chain recipe on the audit event schema', () => {
    const ok = document.paths[`${API_PREFIX}${ROUTES.exportAudit.path}`].get?.responses['200'] as { content?: Record<string, unknown> } | undefined;
    expect(Object.keys(ok?.content ?? {}).sort()).toEqual(['application/json', 'text/csv']);
    const schema = document.components?.schemas?.AuditEventDto as { description?: string };
    expect(schema.description).toContain('SHA-256');
    expect(schema.description).toContain('prevHash');
    expect(schema.description).toContain('JSON.stringify([1, subjectId, seq, occurredAt, actorId, actorRole, action, outcome, reason, recordId, consentId, ip, userAgent, requestId])');
  });

  it('documents for every operation the success status it answers with', () => {
    const wrong: string[] = [];
    for (const { metatype } of [...api.app.get(ModulesContainer, { strict: false }).values()].flatMap((module) => [...module.controllers.values()])) {
      if (!metatype) continue;
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const answered = (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (method === RequestMethod.POST ? 201 : 200);
        const documented = Object.keys((Reflect.getMetadata('swagger/apiResponse', handler) as Record<string, unknown> | undefined) ?? {}).filter((status) => status.startsWith('2'));
        if (documented.length !== 1 || Number(documented[0]) !== answered) wrong.push(`${metatype.name}.${name}: answers ${answered}, documents ${documented.join(', ') || 'none'}`);
      }
    }
    expect(wrong).toEqual([]);
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
