import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Role } from '@phr/shared-types';
import type { AuthUser } from './auth-user.js';

export const IS_PUBLIC = 'phr:isPublic';
export const ROLES = 'phr:roles';
export const FOR_SECOND_FACTOR_ENROLMENT = 'phr:forSecondFactorEnrolment';
export const READS_ONLY = 'phr:readsOnly';

/** The route needs no access token. Every other route is refused unless it names its roles. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** Roles allowed on the route (checked by RolesGuard). */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES, roles);

/**
 * The route is one a session that must first enrol a second factor may use
 * (AuthUser.mustEnrolSecondFactor): the enrolment routes and what the portal
 * needs to show them. Every other route refuses such a session (RolesGuard).
 */
export const ForSecondFactorEnrolment = (): MethodDecorator & ClassDecorator => SetMetadata(FOR_SECOND_FACTOR_ENROLMENT, true);

/**
 * A POST that only reads (a search whose words go in the body, never in a URL): a read-only API
 * token may use it as it uses a GET. It must change nothing but its own audit row.
 */
export const ReadsOnly = (): MethodDecorator => SetMetadata(READS_ONLY, true);

export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
  if (!request.user) throw new Error('CurrentUser used on a route without authentication');
  return request.user;
});
