import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Role } from '@phr/shared-types';
import type { AuthUser } from './auth-user.js';

export const IS_PUBLIC = 'phr:isPublic';
export const ROLES = 'phr:roles';
export const FOR_SECOND_FACTOR_ENROLMENT = 'phr:forSecondFactorEnrolment';

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

export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
  if (!request.user) throw new Error('CurrentUser used on a route without authentication');
  return request.user;
});
