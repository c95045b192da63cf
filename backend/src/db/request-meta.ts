import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from './request-context.js';

const MAX_USER_AGENT = 512;

export function requestMetaOf(request: FastifyRequest): RequestMeta {
  const userAgent = request.headers['user-agent'];
  return {
    requestId: String(request.id),
    ip: request.ip ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, MAX_USER_AGENT) : null,
  };
}
