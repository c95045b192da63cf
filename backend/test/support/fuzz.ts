/**
 * Fuzzing the API: a plan per route of the contract, read from the OpenAPI
 * document the code generates (so a new route or field is fuzzed without
 * touching this file), and fast-check arbitraries for hostile requests.
 */
import fc from 'fast-check';
import type { OpenAPIObject, ParameterObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { API_PREFIX, ROUTES, type HttpMethod, type RouteName } from '@phr/shared-types';

/** Routes that take no JSON body: they read only the refresh cookie. */
export const ROUTES_WITHOUT_BODY: readonly RouteName[] = ['refresh', 'logout', 'enrolTotp', 'approveClinician', 'reinstateClinician', 'endClinicianSessions', 'trashRecord', 'restoreRecord', 'requestContactAccess', 'refuseContactAccess'];

/** A marker key the hostile bodies and queries try to plant on Object.prototype. */
export const POLLUTION_MARKER = 'fuzzPolluted';

export interface RoutePlan {
  name: RouteName;
  method: HttpMethod;
  path: string;
  pathParams: string[];
  queryParams: ParameterObject[];
  bodySchema: SchemaObject | null;
}

export interface FuzzBody {
  /** What was sent, for the failure message. */
  kind: string;
  contentType?: string;
  payload?: string | Uint8Array;
}

export interface FuzzRequest {
  path: string;
  query: string;
  body: FuzzBody;
}

/** Why a route cannot be fuzzed from the document; empty when it can. */
export function planProblems(document: OpenAPIObject, name: RouteName): string[] {
  try {
    planFor(document, name);
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

export function planFor(document: OpenAPIObject, name: RouteName): RoutePlan {
  const route = ROUTES[name];
  const openApiPath = `${API_PREFIX}${route.path.replace(/:(\w+)/g, '{$1}')}`;
  const operation = document.paths[openApiPath]?.[route.method.toLowerCase() as 'get'];
  if (!operation) throw new Error(`${name}: ${route.method} ${route.path} is not in the OpenAPI document`);
  const parameters = (operation.parameters ?? []).map((parameter) => resolve<ParameterObject>(document, parameter));
  const pathParams = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]);
  for (const param of pathParams) {
    if (!parameters.some((parameter) => parameter.in === 'path' && parameter.name === param)) {
      throw new Error(`${name}: path parameter ${param} is not documented`);
    }
  }
  const bodyRef = operation.requestBody ? resolve<{ content?: Record<string, { schema?: SchemaObject | ReferenceObject }> }>(document, operation.requestBody) : null;
  const jsonSchema = bodyRef?.content?.['application/json']?.schema;
  const bodySchema = jsonSchema ? resolveSchema(document, jsonSchema) : null;
  const takesBody = ['POST', 'PUT', 'PATCH'].includes(route.method) && !ROUTES_WITHOUT_BODY.includes(name);
  if (takesBody && !bodySchema?.properties) {
    throw new Error(`${name}: ${route.method} ${route.path} documents no JSON body schema to fuzz (list it in ROUTES_WITHOUT_BODY if it reads none)`);
  }
  return { name, method: route.method, path: route.path, pathParams, queryParams: parameters.filter((p) => p.in === 'query'), bodySchema };
}

function resolve<T>(document: OpenAPIObject, value: T | ReferenceObject): T {
  if (value && typeof value === 'object' && '$ref' in value) {
    const [, , section, key] = value.$ref.split('/');
    return (document.components as Record<string, Record<string, T>>)[section][key];
  }
  return value;
}

function resolveSchema(document: OpenAPIObject, schema: SchemaObject | ReferenceObject): SchemaObject {
  const resolved = resolve<SchemaObject>(document, schema);
  if (resolved.allOf?.length === 1) return resolveSchema(document, resolved.allOf[0]);
  return resolved;
}

// ---------------------------------------------------------------------------
// Values that the API should accept (a starting point for mutations)

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('');

/** A value valid for `schema`, as far as the document says; ids come from `knownIds` half the time. */
export function validValue(document: OpenAPIObject, schema: SchemaObject | ReferenceObject, knownIds: string[]): fc.Arbitrary<unknown> {
  const resolved = resolveSchema(document, schema);
  if (resolved.enum) return fc.constantFrom(...(resolved.enum as unknown[]));
  switch (resolved.type) {
    case 'object': {
      const properties = Object.fromEntries(
        Object.entries(resolved.properties ?? {}).map(([key, property]) => [key, validValue(document, property, knownIds)]),
      );
      return fc.record(properties, { requiredKeys: resolved.required ?? [] });
    }
    case 'array':
      return fc.array(validValue(document, resolved.items ?? { type: 'string' }, knownIds), { maxLength: 3 });
    case 'number':
    case 'integer':
      return fc.integer({ min: Math.ceil(resolved.minimum ?? 0), max: Math.floor(Math.min(resolved.maximum ?? 1000, Number.MAX_SAFE_INTEGER)) });
    case 'boolean':
      return fc.boolean();
    default:
      return validString(resolved, knownIds);
  }
}

function validString(schema: SchemaObject, knownIds: string[]): fc.Arbitrary<string> {
  if (schema.format === 'uuid') return fc.oneof(fc.constantFrom(...knownIds), fc.uuid({ version: 4 }));
  if (schema.format === 'email') return fc.emailAddress();
  if (schema.format === 'date-time') {
    return fc.oneof(
      fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      // Well-formed ISO 8601 at the edges of what PostgreSQL holds.
      fc.constantFrom('0000-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2020-02-29T24:00:00Z', '2020-01-01T00:00:00+14:00', '2020-01-01T00:00:00.123456789Z', '2020-01-01'),
    );
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 40, minLength + 64);
  if (schema.pattern === '^[A-Za-z0-9_-]+$') return fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: Math.max(1, minLength), maxLength });
  return fc.string({ minLength, maxLength });
}

// ---------------------------------------------------------------------------
// Hostile values

const SPECIAL_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uFEFF',
  '\u202E',
  'ﬀ',
  'İ',
  '💥'.repeat(50),
  "'; DROP TABLE records; --",
  "' OR '1'='1",
  '$1',
  '%s%s%n',
  '${7*7}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  'true',
  '[object Object]',
  '__proto__',
  'constructor',
];

/** Opaque tokens shaped like the cursors the API issues (base64url of a JSON array), with bad members. */
export const cursorLike: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom('1', '2020', '0', 'Jan 1', '1 2', 'Tue 1', '-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '2020-13-45', '') },
      { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    ),
    fc.oneof(
      { weight: 3, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: fc.constantFrom('-'.repeat(36), 'f'.repeat(36), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff') },
      { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789abcdef-'.split('')), minLength: 36, maxLength: 36 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    ),
    fc.oneof(fc.integer(), fc.constantFrom(1e20, 2 ** 63, -1, 0, 1.5, Number.MAX_SAFE_INTEGER), fc.jsonValue({ maxDepth: 1 })),
    fc.oneof({ weight: 3, arbitrary: fc.constant(3) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }) }),
  )
  .map(([time, id, seq, length]) => Buffer.from(JSON.stringify([time, id, seq].slice(0, length))).toString('base64url'));

const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SPECIAL_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer({ min: 1_000, max: 80_000 }).chain((length) => fc.constantFrom('x', 'é', '\u0000', '💥').map((c) => c.repeat(length))),
  cursorLike,
);

/** An object with a key the parsers must not turn into a prototype: built with defineProperty so JSON.stringify keeps it. */
function withOwnKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
  return target;
}

const pollutingObject: fc.Arbitrary<Record<string, unknown>> = fc.constantFrom('__proto__', 'constructor', 'prototype').map((key) =>
  withOwnKey({}, key, key === 'constructor' ? { prototype: { [POLLUTION_MARKER]: true } } : { [POLLUTION_MARKER]: true }),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, true, false, 0, -1, -0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, [], {}, [null], { length: 1 }),
  pollutingObject,
);

// ---------------------------------------------------------------------------
// Bodies

interface Mutation {
  path: string[];
  kind: 'replace' | 'delete' | 'add-key';
  value: unknown;
  key: string;
}

/** Every field path of an object schema, nested objects and array items included. */
function fieldPaths(document: OpenAPIObject, schema: SchemaObject, prefix: string[] = []): string[][] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, property]) => {
    const resolved = resolveSchema(document, property);
    const own = [...prefix, key];
    if (resolved.type === 'object') return [own, ...fieldPaths(document, resolved, own)];
    if (resolved.type === 'array' && resolved.items) {
      const items = resolveSchema(document, resolved.items);
      return items.type === 'object' ? [own, ...fieldPaths(document, items, [...own, '0'])] : [own, [...own, '0']];
    }
    return [own];
  });
}

function applyMutation(body: unknown, mutation: Mutation): void {
  let parent = body as Record<string, unknown>;
  for (const step of mutation.path.slice(0, -1)) {
    const next = parent?.[step];
    if (!next || typeof next !== 'object') return;
    parent = next as Record<string, unknown>;
  }
  const last = mutation.path.at(-1) as string;
  if (!parent || typeof parent !== 'object') return;
  if (mutation.kind === 'delete') delete parent[last];
  else if (mutation.kind === 'replace') withOwnKey(parent, last, mutation.value);
  else withOwnKey(parent, mutation.key, mutation.value);
}

/** A body valid for the route's schema with up to three fields broken (none: a valid body). */
function shapedBody(document: OpenAPIObject, schema: SchemaObject, knownIds: string[]): fc.Arbitrary<unknown> {
  const paths = fieldPaths(document, schema);
  const mutation: fc.Arbitrary<Mutation> = fc.record({
    path: paths.length ? fc.oneof(fc.constantFrom(...paths), fc.constant([] as string[])) : fc.constant([] as string[]),
    kind: fc.constantFrom('replace', 'replace', 'delete', 'add-key'),
    value: hostileValue,
    key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'), fc.string({ maxLength: 8 })),
  });
  return fc.tuple(validValue(document, schema, knownIds), fc.array(mutation, { maxLength: 3 })).map(([valid, mutations]) => {
    const body = structuredClone(valid);
    for (const change of mutations) {
      if (change.path.length === 0) withOwnKey(body as Record<string, unknown>, change.key, change.value);
      else applyMutation(body, change);
    }
    return body;
  });
}

const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----fuzz',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/vnd.api+json',
  'application/json, text/plain',
  '*/*',
  'json',
];

const rawJsonGarbage: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', '{', '}', '{"a":', '[', 'nul', 'tru', '"', '\uFEFF{}', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', 'NaN', '1e999999', '{"__proto__":{"fuzzPolluted":true}}', '{"constructor":{"prototype":{"fuzzPolluted":true}}}'),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

export function bodyFor(document: OpenAPIObject, plan: RoutePlan, knownIds: string[]): fc.Arbitrary<FuzzBody> {
  if (plan.method === 'GET') return fc.constant({ kind: 'none' });
  const shaped: fc.Arbitrary<unknown> = plan.bodySchema ? shapedBody(document, plan.bodySchema, knownIds) : fc.object({ maxDepth: 1 });
  return fc.oneof(
    { weight: 5, arbitrary: shaped.map((value): FuzzBody => ({ kind: 'shaped JSON', contentType: 'application/json', payload: JSON.stringify(value) })) },
    { weight: 2, arbitrary: fc.jsonValue().map((value): FuzzBody => ({ kind: 'random JSON', contentType: 'application/json', payload: JSON.stringify(value) })) },
    { weight: 1, arbitrary: rawJsonGarbage.map((text): FuzzBody => ({ kind: 'malformed JSON', contentType: 'application/json', payload: text })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 120 }).map((bytes): FuzzBody => ({ kind: 'random bytes', contentType: 'application/json', payload: bytes })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...WRONG_CONTENT_TYPES), shaped)
        .map(([contentType, value]): FuzzBody => ({ kind: 'wrong content type', contentType, payload: JSON.stringify(value) })),
    },
    { weight: 1, arbitrary: fc.constant<FuzzBody>({ kind: 'no body' }) },
  );
}

// ---------------------------------------------------------------------------
// Path ids and query strings (already percent-encoded, garbage kept as is)

/** encodeURIComponent that survives lone surrogates (sent as U+FFFD, as a browser would). */
function percentEncode(text: string): string {
  return encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'));
}

export function pathIdFor(knownIds: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...knownIds),
    fc.uuid(),
    fc.uuid().map((id) => id.toUpperCase()),
    fc.uuid().map((id) => id.replace(/-/g, '')),
    fc.uuid().map((id) => id.slice(0, -1)),
    fc.uuid().map((id) => `${id}0`),
    fc.uuid().map((id) => `%7B${id}%7D`),
    fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'),
    fc.constantFrom('%2F', 'a%2Fb', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', '%00', '%', '%zz', '%C0%AF', '%E0%A4%A', '%FF', '.', '..', '-1', '0', 'null', '__proto__', 'constructor'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(percentEncode),
    fc.integer({ min: 37, max: 5_000 }).map((length) => 'a'.repeat(length)),
  );
}

const percentGarbage = fc.constantFrom('%', '%%', '%zz', '%0', '%00', '%C0%AF', '%E0%A4%A', '%FF%FE', '%u0041', '%2F..%2F', '+', '%2B%26%3D', '&&', '=', '==');

export function queryFor(document: OpenAPIObject, plan: RoutePlan, knownIds: string[]): fc.Arbitrary<string> {
  // A URL over 16 KiB only reaches the HTTP parser (431): rare, so most requests reach the handler.
  const hostile = fc.oneof(
    { weight: 6, arbitrary: hostileString.map((text) => percentEncode(text.slice(0, 1_000))) },
    { weight: 3, arbitrary: percentGarbage },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((length) => 'q'.repeat(length)) },
  );
  /** A plain string parameter is an opaque token the API issued (a cursor): its plausible values have a cursor's shape. */
  const isOpaque = (parameter: ParameterObject) => {
    const schema = resolveSchema(document, parameter.schema ?? { type: 'string' });
    return schema.type === 'string' && !schema.enum && !schema.format && !schema.pattern;
  };
  const valid = new Map(
    plan.queryParams.map((parameter) => {
      const schema = resolveSchema(document, parameter.schema ?? { type: 'string' });
      const value = isOpaque(parameter) ? cursorLike : validValue(document, schema, knownIds).map((v) => percentEncode(String(v)));
      return [parameter.name, value] as const;
    }),
  );
  const badValueFor = (parameter: ParameterObject) => (isOpaque(parameter) ? fc.oneof(hostile, cursorLike) : hostile);
  const names = plan.queryParams.map((parameter) => parameter.name);
  const key = fc.oneof(
    ...(names.length ? [fc.constantFrom(...names), fc.constantFrom(...names).map((name) => `${name}[]`), fc.constantFrom(...names).map((name) => `${name}[0]`)] : []),
    fc.constantFrom('__proto__', 'constructor', `__proto__[${POLLUTION_MARKER}]`, `constructor[prototype][${POLLUTION_MARKER}]`, 'toString', 'hasOwnProperty'),
    fc.string({ maxLength: 10 }).map(percentEncode),
    percentGarbage,
  );
  const extra = fc.tuple(key, fc.option(fc.oneof(hostile, cursorLike), { nil: undefined })).map(([name, text]) => (text === undefined ? name : `${name}=${text}`));
  const asQuery = (values: Partial<Record<string, string>>) =>
    Object.entries(values).flatMap(([name, text]) => (text === undefined ? [] : [`${name}=${text}`]));
  // Valid parameters with one made bad reach the code behind validation; chaos tests the parser.
  const focused = plan.queryParams.length
    ? fc
        .tuple(fc.record(Object.fromEntries(valid), { requiredKeys: [] }), fc.constantFrom(...plan.queryParams).chain((p) => fc.tuple(fc.constant(p.name), badValueFor(p))))
        .map(([values, [name, bad]]) => asQuery({ ...values, [name]: bad }).join('&'))
    : fc.constant('');
  const chaos = fc
    .tuple(fc.record(Object.fromEntries(valid), { requiredKeys: [] }), fc.array(extra, { maxLength: 4 }), fc.boolean())
    .map(([values, extras, repeatFirst]) => {
      const pairs = [...asQuery(values), ...extras];
      return (repeatFirst && pairs.length ? [...pairs, pairs[0]] : pairs).join('&');
    });
  const allValid = fc.record(Object.fromEntries(valid), { requiredKeys: [] }).map((values) => asQuery(values).join('&'));
  return fc.oneof({ weight: 3, arbitrary: focused }, { weight: 2, arbitrary: chaos }, { weight: 2, arbitrary: allValid });
}

export function requestFor(document: OpenAPIObject, plan: RoutePlan, knownIds: string[]): fc.Arbitrary<FuzzRequest> {
  const ids = fc.tuple(...plan.pathParams.map(() => pathIdFor(knownIds)));
  return fc.record({
    path: ids.map((values) => plan.pathParams.reduce((path, param, index) => path.replace(`:${param}`, values[index]), plan.path)),
    query: queryFor(document, plan, knownIds),
    body: bodyFor(document, plan, knownIds),
  });
}
