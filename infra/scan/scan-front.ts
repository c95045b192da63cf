/**
 * What wapiti talks to for the API: a transparent pass-through to the API that
 * also serves one generated page of HTML forms. Wapiti 3.0.4 crawls links and
 * forms only (no OpenAPI import) and sends bodies as HTML forms do; the API
 * takes JSON only (415 for anything else), so the front turns each form body
 * into the JSON object the browser's client would send, field by field. The
 * page gives wapiti one form per POST operation of backend/openapi.json, with
 * valid values in every flat field, so that it attacks one field at a time.
 * Every other request and answer passes through unchanged, headers included.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpenApiDocument, OpenApiSchema } from './targets.js';

/** Under /api/ so that it is in the scan's folder scope; the API has no such route. */
export const FORMS_PATH = '/api/__scan/forms.html';

export interface ScanFront {
  url: string;
  stop(): Promise<void>;
}

export async function startScanFront(apiUrl: string, formsPage: string): Promise<ScanFront> {
  const api = new URL(apiUrl);
  const server = http.createServer((request, response) => {
    if (request.method === 'GET' && request.url === FORMS_PATH) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; form-action 'self'" });
      response.end(formsPage);
      return;
    }
    const forward = (headers: http.IncomingHttpHeaders, body?: Buffer) => {
      const upstream = http.request({ host: api.hostname, port: api.port, method: request.method, path: request.url, headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(response);
      });
      upstream.on('error', () => {
        response.writeHead(502);
        response.end();
      });
      if (body) upstream.end(body);
      else request.pipe(upstream);
    };
    if (!isFormBody(request.headers)) {
      forward(request.headers);
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const json = Buffer.from(JSON.stringify(formToJson(Buffer.concat(chunks).toString('utf8'))));
      forward({ ...request.headers, 'content-type': 'application/json', 'content-length': String(json.length) }, json);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function isFormBody(headers: http.IncomingHttpHeaders): boolean {
  return (headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/**
 * A form body as the JSON object a client would send: a repeated field becomes
 * an array, and a value that reads as a JSON number or boolean is sent as one,
 * so that wapiti's payloads reach the field they were put in.
 */
export function formToJson(form: string): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, raw] of new URLSearchParams(form)) {
    const value = /^(?:-?\d+(?:\.\d+)?|true|false)$/.test(raw) ? (JSON.parse(raw) as unknown) : raw;
    const previous = Object.hasOwn(body, name) ? body[name] : undefined;
    const next = previous === undefined ? value : Array.isArray(previous) ? [...(previous as unknown[]), value] : [previous, value];
    Object.defineProperty(body, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return body;
}

/**
 * One form per POST operation with a JSON body. Nested objects and arrays
 * cannot be sent as a form: those fields are left out (the API answers 400
 * naming them, so such routes are only attacked up to validation).
 */
export function formsPage(document: OpenApiDocument, values: (field: string, schema: OpenApiSchema) => string): string {
  const forms: string[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    const post = operations.post;
    const reference = post?.requestBody?.content['application/json']?.schema.$ref;
    if (!reference || template.includes('{')) continue;
    const schema = document.components.schemas[reference.split('/').pop() ?? ''];
    const fields = Object.entries(schema?.properties ?? {}).filter(([, property]) => property.type === 'string' || property.type === 'number');
    if (fields.length === 0) continue;
    const inputs = fields.map(([name, property]) => `    <input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(values(name, property))}">`);
    forms.push(`  <form method="post" action="${escapeHtml(template)}">\n${inputs.join('\n')}\n  </form>`);
  }
  return `<!doctype html>\n<html><head><title>scan forms</title></head><body>\n${forms.join('\n')}\n</body></html>\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
