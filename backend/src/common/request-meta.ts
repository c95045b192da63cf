import type { FastifyRequest } from 'fastify';

const MAX_USER_AGENT = 512;

/** Facts about the HTTP request that the audit trail records (carried by the request's transaction, db/request-context.ts). */
export interface RequestMeta {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

export function requestMetaOf(request: FastifyRequest): RequestMeta {
  const userAgent = request.headers['user-agent'];
  return {
    requestId: String(request.id),
    ip: request.ip ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, MAX_USER_AGENT) : null,
  };
}
