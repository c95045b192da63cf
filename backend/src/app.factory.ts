import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { API_PREFIX } from '@phr/shared-types';
import { AppModule } from './app.module.js';
import { applyRouteBodyLimits } from './common/body-limit.js';
import { routerErrorHandler } from './common/error.filter.js';
import { createValidationPipe } from './common/validation.js';
import type { AppConfig } from './config/app-config.js';
import { SWAGGER_PATH, setupSwagger } from './common/swagger.js';
import { installPromiseInterceptors } from './db/promise-interceptors.js';

/**
 * Headers on every answer of the API. JSON needs no sources at all; Swagger UI
 * (scripts and styles from its own files) gets 'self' only, never inline code:
 * the few style attributes its script sets are refused, which costs only looks.
 * HSTS only where the API is served over TLS (the same switch as Secure cookies).
 */
export const API_DISPOSITION = 'attachment; filename="api.json"';

/**
 * A request a page's script made with fetch() or XMLHttpRequest, as the browser itself says
 * (Fetch Metadata: `Sec-Fetch-Dest: empty`, a mode other than navigate). Swagger UI's "Try it
 * out" is one; its answer may be shown as JSON. A page load, a frame, an <object>, or a client
 * that sends no fetch metadata (an old browser, curl) is not, and still gets the attachment.
 * Scripts cannot set Sec-Fetch-* headers, so a page cannot claim a navigation is a fetch.
 */
export function isScriptFetch(headers: FastifyRequest['headers']): boolean {
  return headers['sec-fetch-dest'] === 'empty' && typeof headers['sec-fetch-mode'] === 'string' && headers['sec-fetch-mode'] !== 'navigate';
}

export function securityHeaders(request: Pick<FastifyRequest, 'url' | 'headers'>, overTls: boolean): Array<[string, string]> {
  const docs = request.url.startsWith(`/${SWAGGER_PATH}`);
  const headers: Array<[string, string]> = [
    ['Content-Security-Policy', docs ? "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'" : "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"],
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    ['Referrer-Policy', 'no-referrer'],
    ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
  ];
  // A JSON answer opened as a page (a link, a sniffing client) is downloaded, never rendered.
  if (!docs && !isScriptFetch(request.headers)) headers.push(['Content-Disposition', API_DISPOSITION]);
  if (overTls) headers.push(['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']);
  return headers;
}

/**
 * Slow clients cannot hold sockets: a request must arrive whole within `requestMs` (Node
 * answers 408 and closes), an idle socket closes after `connectionMs`. Node's own headers
 * limit (60 s) must not exceed the request limit: if it does, Node swaps the two and a
 * stalled body is allowed the longer one. Node looks for overdue requests every
 * `connectionsCheckingInterval` (30 s by default); checking four times per limit closes a
 * stalled request within 1.25 times the limit.
 */
function timeoutOptions(timeouts: AppConfig['timeouts']) {
  return {
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.connectionMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.requestMs,
      connectionsCheckingInterval: Math.ceil(timeouts.requestMs / 4),
    },
  };
}

/**
 * Every body the API takes is JSON. Nest would add a form parser and Fastify keeps one for
 * plain text; without them any other Content-Type (or none, with a body) gets 415 before a
 * route runs, instead of reaching validation in a shape the route never expected.
 */
function acceptJsonBodiesOnly(app: NestFastifyApplication, bodyLimit: number): void {
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  app.useBodyParser('application/json', { bodyLimit });
}

/** Builds the API exactly as it runs in production; tests use the same function. */
export async function createApp(config: AppConfig, options: { logger?: LoggerService | false } = {}): Promise<NestFastifyApplication> {
  installPromiseInterceptors();
  const adapter = new FastifyAdapter({
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    ...timeoutOptions(config.timeouts),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    frameworkErrors: routerErrorHandler((request) => securityHeaders(request, config.cookieSecure)),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: options.logger ?? ['error', 'warn', 'log'],
    bufferLogs: false,
    bodyParser: false,
  });
  acceptJsonBodiesOnly(app, config.bodyLimitBytes);
  applyRouteBodyLimits(app.getHttpAdapter().getInstance());
  app.setGlobalPrefix(API_PREFIX.slice(1));
  app.useGlobalPipes(createValidationPipe());
  app.enableCors({ origin: [config.portalOrigin], credentials: true, methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] });
  await app.register(fastifyCookie);
  app
    .getHttpAdapter()
    .getInstance()
    // A callback, not an async function: no promise and no extra turn per response (issue 14).
    .addHook('onSend', (request, reply, payload, done) => {
      void reply.header('X-Request-Id', String(request.id));
      void reply.header('Cache-Control', 'no-store');
      for (const [name, value] of securityHeaders(request, config.cookieSecure)) {
        // The audit export names its own file.
        if (name === 'Content-Disposition' && reply.hasHeader(name)) continue;
        void reply.header(name, value);
      }
      done(null, payload);
    });
  setupSwagger(app);
  await app.init().catch(async (error: unknown) => {
    // A refused start (a store that cannot be reached, clocks too far apart) closes the pools it opened.
    await app.close().catch(() => undefined);
    throw error;
  });
  return app;
}
