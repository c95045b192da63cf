import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode, type ErrorResponse } from '@phr/shared-types';
import { ApiError } from './api-error.js';
import { DependencyUnavailable } from './dependency-unavailable.js';
import { refusalLogEntry } from './refusal-log.js';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ERROR_CODES.validation,
  401: ERROR_CODES.unauthenticated,
  403: ERROR_CODES.forbidden,
  404: ERROR_CODES.notFound,
  409: ERROR_CODES.conflict,
  413: ERROR_CODES.payloadTooLarge,
  429: ERROR_CODES.tooManyRequests,
};

/** Fastify's own errors (body parsing, size limits) carry a status code and a code. */
interface FastifyError {
  statusCode?: number;
  code?: string;
}

/**
 * The one place that shapes error responses. Known errors keep their status
 * and stable code; anything else becomes a bare 500. No stack trace, SQL or
 * internal message ever leaves the server.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { body, headers } = this.describe(exception, String(request.id));
    if (exception instanceof DependencyUnavailable) {
      this.logger.warn(`${request.method} ${request.routeOptions?.url ?? 'unknown route'} answered 503: ${exception.message}`);
    } else if (body.statusCode >= 500) {
      // The method and route only: request bodies can hold key material.
      this.logger.error(`${request.method} ${request.routeOptions?.url ?? 'unknown route'} failed: ${describeError(exception)}`);
    }
    this.logRefusal(request, body, exception);
    for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
    void reply.status(body.statusCode).send(body);
  }

  /** One warn line per refused request (ASVS 7.1.3): names and codes only, see refusal-log.ts. */
  logRefusal(request: FastifyRequest, body: ErrorResponse, exception: unknown): void {
    const entry = refusalLogEntry(request, body, exception instanceof ApiError ? exception.message : undefined);
    if (entry) this.logger.warn(JSON.stringify(entry));
  }

  describe(exception: unknown, requestId: string): { body: ErrorResponse; headers: Record<string, string> } {
    if (exception instanceof DependencyUnavailable) {
      const body: ErrorResponse = { statusCode: 503, code: ERROR_CODES.serviceUnavailable, message: exception.publicMessage(), requestId };
      return { body, headers: { 'Retry-After': String(exception.retryAfterSeconds) } };
    }
    if (exception instanceof ApiError) {
      const body: ErrorResponse = { statusCode: exception.getStatus(), code: exception.code, message: exception.message, requestId };
      if (exception.fields) body.fields = exception.fields;
      if (exception.accessEnded) body.accessEnded = exception.accessEnded;
      return { body, headers: exception.headers ?? {} };
    }
    // Nest wraps Fastify's own errors (body parsing, size limits) and keeps them as the cause.
    const fastifyError = fastifyErrorOf(exception instanceof HttpException ? exception.cause : exception);
    if (fastifyError) return { body: fastifyErrorBody(fastifyError, fastifyError.statusCode, requestId), headers: {} };
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = CODE_BY_STATUS[status] ?? (status >= 500 ? ERROR_CODES.internal : ERROR_CODES.validation);
      const message = status >= 500 ? 'Internal error' : publicMessage(exception);
      return { body: { statusCode: status, code, message, requestId }, headers: {} };
    }
    return { body: { statusCode: 500, code: ERROR_CODES.internal, message: 'Internal error', requestId }, headers: {} };
  }
}

function fastifyErrorOf(error: unknown): (FastifyError & { statusCode: number }) | null {
  const candidate = error as FastifyError | null | undefined;
  const isFastify = typeof candidate?.code === 'string' && candidate.code.startsWith('FST_');
  const status = candidate?.statusCode;
  return isFastify && typeof status === 'number' && status >= 400 && status < 500 ? { ...candidate, statusCode: status } : null;
}

/** The router refuses these before any route runs: bad percent-encoding, or a path segment over its length limit. */
const BAD_URL_CODES = new Set(['FST_ERR_BAD_URL', 'FST_ERR_MAX_PARAM_LENGTH']);

function fastifyErrorBody(error: FastifyError, status: number, requestId: string): ErrorResponse {
  if (error.code && BAD_URL_CODES.has(error.code)) {
    const message = 'The URL path is not valid';
    return { statusCode: 400, code: CODE_BY_STATUS[400], message, requestId, fields: [{ field: 'path', message }] };
  }
  if (status === 413) return { statusCode: 413, code: ERROR_CODES.payloadTooLarge, message: 'Request body is too large', requestId };
  if (status === 415) return { statusCode: 415, code: ERROR_CODES.validation, message: 'Content-Type must be application/json', requestId };
  const message = error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'Request body is empty' : 'Request body is not valid JSON';
  return { statusCode: 400, code: CODE_BY_STATUS[400], message, requestId, fields: [{ field: 'body', message }] };
}

function publicMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return typeof message === 'string' ? message : exception.message;
}

function describeError(exception: unknown): string {
  if (exception instanceof Error) return `${exception.name}: ${exception.message}`;
  return typeof exception;
}

/**
 * Fastify's router refuses some URLs before Nest sees the request (bad
 * percent-encoding, an over-long path segment); those answers get the same
 * shape and headers as every other error.
 */
export function routerErrorHandler(headersFor: (request: FastifyRequest) => Array<[string, string]>) {
  const filter = new ErrorFilter();
  return (error: Error, request: FastifyRequest, reply: FastifyReply): void => {
    const { body } = filter.describe(error, String(request.id));
    filter.logRefusal(request, body, error);
    void reply.header('X-Request-Id', String(request.id));
    void reply.header('Cache-Control', 'no-store');
    for (const [name, value] of headersFor(request)) void reply.header(name, value);
    void reply.status(body.statusCode).send(body);
  };
}
