/**
 * Where the scanner starts. Wapiti 3.0.4 reads no OpenAPI document, and a JSON
 * API has no links to crawl, so every GET operation of the committed
 * backend/openapi.json becomes a start URL with each query parameter filled
 * with a valid value (wapiti then replaces one parameter at a time with its
 * payloads) and each path parameter with an id of the seeded data.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../local/stack.js';
import { randomKey, sealedBlob } from '@phr/backend/test-support/factories.js';
import type { ScanSeed } from './seed.js';

export interface OpenApiSchema {
  type?: string;
  format?: string;
  enum?: string[];
  example?: unknown;
  minimum?: number;
  default?: unknown;
  properties?: Record<string, OpenApiSchema>;
}

interface OpenApiParameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: OpenApiSchema;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } } | undefined> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation | undefined>>;
  components: { schemas: Record<string, OpenApiSchema | undefined> };
}

export async function readOpenApi(): Promise<OpenApiDocument> {
  return JSON.parse(await readFile(path.join(REPO_ROOT, 'backend/openapi.json'), 'utf8')) as OpenApiDocument;
}

/** One URL per GET operation of the document, on `apiUrl` (the API's origin). */
export function apiStartUrls(document: OpenApiDocument, apiUrl: string, seed: ScanSeed): string[] {
  const urls: string[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    const get = operations.get;
    if (!get) continue;
    const parameters = get.parameters ?? [];
    let pathname = template;
    for (const parameter of parameters.filter((p) => p.in === 'path')) {
      pathname = pathname.replace(`{${parameter.name}}`, encodeURIComponent(pathValue(template, parameter, seed)));
    }
    const url = new URL(pathname, apiUrl);
    // A cursor is opaque: no valid one exists before a first page, and a wrong one would make every attack a 400.
    for (const parameter of parameters.filter((p) => p.in === 'query' && p.name !== 'cursor')) {
      url.searchParams.set(parameter.name, queryValue(parameter, seed));
    }
    urls.push(url.toString());
  }
  return urls;
}

/** A well-formed id no row has. */
const UNSEEDED_ID = '00000000-0000-4000-8000-000000000000';

function pathValue(template: string, parameter: OpenApiParameter, seed: ScanSeed): string {
  if (template.startsWith('/api/users/')) return seed.doctor.userId;
  if (template.startsWith('/api/key-directory/bindings/')) return seed.doctor.userId;
  if (template.startsWith('/api/records/')) return seed.recordId;
  if (template.startsWith('/api/folders/')) return seed.folderId;
  if (template.startsWith('/api/consents/')) return seed.consentId;
  // The seed names no trusted contact and breaks no glass: these routes are attacked on their refusal path
  // (a well-formed id the caller has no row for), with the seeded record where a record is named.
  if (template.startsWith('/api/trusted-contacts/') || template.startsWith('/api/emergency/breaks/')) {
    return parameter.name === 'recordId' ? seed.recordId : UNSEEDED_ID;
  }
  throw new Error(`No seeded value for the path parameter ${parameter.name} of ${template}; add one in infra/scan/targets.ts`);
}

/** A value the API accepts, so that each attacked parameter is the only wrong one. */
function queryValue(parameter: OpenApiParameter, seed: ScanSeed): string {
  const schema = parameter.schema ?? {};
  if (schema.enum?.length) return schema.enum[0];
  if (schema.format === 'uuid') return uuidFor(parameter.name, seed);
  if (schema.format === 'date-time') return new Date(Date.UTC(2024, 0, 1)).toISOString();
  if (schema.format === 'email') return seed.patient.request.email;
  if (schema.type === 'number' || schema.type === 'integer') return String(typeof schema.default === 'number' ? schema.default : (schema.minimum ?? 1));
  return typeof schema.example === 'string' ? schema.example : 'scan';
}

/** A valid value for a field of a request body (sent as a form field, see scan-front.ts). */
export function bodyValue(field: string, schema: OpenApiSchema, seed: ScanSeed): string {
  const { request } = seed.patient;
  switch (field) {
    case 'email':
      return request.email;
    case 'authKey':
      return request.authKey;
    case 'currentAuthKey':
      // A wrong one: the routes that ask for it (password change, account erasure) are attacked
      // up to the credential check and never carried out, so the scanning account lives on.
      return randomKey();
    case 'recoveryAuthKey':
      return request.recovery.recoveryAuthKey;
    case 'newAuthKey':
      return randomKey();
    case 'doctorId':
      return seed.doctor.userId;
    case 'q':
      // The doctor search's fragment (POST /api/doctors/search): one that finds the seeded doctor.
      return 'Dr';
    case 'size':
      return '2000';
    case 'name':
      return sealedBlob(24);
    case 'metadata':
    case 'ownerWrap':
    case 'newWrappedAccountKey':
      return sealedBlob();
  }
  if (schema.enum?.length) return schema.enum[0];
  if (schema.format === 'uuid' || field.endsWith('Id')) return uuidFor(field, seed);
  if (schema.format === 'date-time') return new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();
  return 'scan';
}

function uuidFor(name: string, seed: ScanSeed): string {
  if (name === 'recordId') return seed.recordId;
  if (name === 'folderId') return seed.folderId;
  // subjectId, actorId, ownerId: a person; the scanning patient is one.
  return seed.patient.userId;
}
