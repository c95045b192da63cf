import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/**
 * A body limit for one route, above the API-wide BODY_LIMIT_BYTES: for the few
 * routes whose legitimate bodies are large by design (a consent over thousands
 * of records carries one wrap per record). Fastify checks it while it reads the
 * body (Content-Length first), so an oversized body is refused with 413 before
 * it is parsed.
 */
export const BodyLimit = (bytes: number): MethodDecorator => RouteConfig({ bodyLimit: bytes });

/** Makes @BodyLimit take effect: must run before the routes are registered (app.init). */
export function applyRouteBodyLimits(instance: FastifyInstance): void {
  instance.addHook('onRoute', (route) => {
    const config: { bodyLimit?: unknown } | undefined = route.config;
    const limit = config?.bodyLimit;
    if (typeof limit === 'number') route.bodyLimit = limit;
  });
}
