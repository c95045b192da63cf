import { applyDecorators } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiProperty, ApiPropertyOptional, ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { HOST_REFRESH_COOKIE_NAME, REFRESH_COOKIE_NAME, type AccessEnded, type ErrorResponse, type FieldError } from '@phr/shared-types';
import type { Exact } from './exact.js';

class FieldErrorDto implements FieldError {
  @ApiProperty({ example: 'email' }) field: string;
  @ApiProperty({ example: 'email must be an email address' }) message: string;
}

/** The OpenAPI security scheme of the refresh cookie (routes that read it name this scheme). */
export const REFRESH_COOKIE_SECURITY = 'refreshCookie';

export class AccessEndedDto implements AccessEnded {
  @ApiProperty({ enum: ['revoked', 'expired'] }) reason: 'revoked' | 'expired';
  @ApiProperty() patientName: string;
  @ApiProperty({ format: 'date-time' }) endedAt: string;
}
true satisfies Exact<AccessEndedDto, AccessEnded>;

export class ErrorResponseDto implements ErrorResponse {
  @ApiProperty({ example: 400 }) statusCode: number;
  @ApiProperty({ example: 'VALIDATION_FAILED' }) code: string;
  @ApiProperty() message: string;
  @ApiProperty({ description: 'Quote it when reporting a problem' }) requestId: string;
  @ApiPropertyOptional({ type: [FieldErrorDto] }) fields?: FieldErrorDto[];
  @ApiPropertyOptional({ type: AccessEndedDto, description: 'With 410 ACCESS_ENDED: the consent that ended, how and when' }) accessEnded?: AccessEndedDto;
}
true satisfies Exact<ErrorResponseDto, ErrorResponse>;

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; every bad field is named',
  401: 'Missing, expired or invalid credentials',
  403: 'The role may not do this',
  404: 'Not found (also for things the caller may not know exist)',
  409: 'Conflicts with existing data',
  410: 'ACCESS_ENDED: a doctor’s consent covering this record was revoked or expired (accessEnded says whose, how and when)',
  413: 'Request body too large',
  429: 'Too many attempts; see Retry-After',
  503: 'The database or the object store is unavailable; nothing was changed; see Retry-After',
};

/** The 429 of a sign-in or recovery route: no lockout, a proof of work is due (docs/protocol.md "Proof of work"). */
export function ApiProofOfWorkRequired(): MethodDecorator {
  return ApiResponse({
    status: 429,
    description:
      'PROOF_OF_WORK_REQUIRED (Retry-After: 0): after repeated failures, this client must send a proofOfWork solved from POST /auth/proof-of-work; ' +
      'or TOO_MANY_REQUESTS from the request-rate limit, with Retry-After',
    type: ErrorResponseDto,
  });
}

/**
 * Documents the error answers of a route, all in the one ErrorResponse shape.
 * Every route may answer 503 (a dependency is down), so it is always listed.
 */
export function ApiErrors(...statuses: number[]): MethodDecorator {
  const all = statuses.includes(503) ? statuses : [...statuses, 503];
  return applyDecorators(
    ...all.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorResponseDto })),
  );
}

export const SWAGGER_PATH = 'api/docs';

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Patient-held health records API')
    .setDescription(
      'Files and keys are encrypted in the browser; this API stores ciphertext, wrapped keys and the audit trail. ' +
        'Sign in through the portal or POST /api/auth/login with an auth key derived in the browser, then use the access token here.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addCookieAuth(
      HOST_REFRESH_COOKIE_NAME,
      { type: 'apiKey', description: `Set by the API itself (httpOnly); \`${REFRESH_COOKIE_NAME}\` at /api/auth only where COOKIE_SECURE=false` },
      REFRESH_COOKIE_SECURITY,
    )
    .build();
  return withRateLimitAnswers(SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] }));
}

/** Every route counts against the rate limits (ASVS 8.1.4), so every route may answer 429. */
function withRateLimitAnswers(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of [item.get, item.post, item.put, item.patch, item.delete]) {
      if (!operation || operation.responses['429']) continue;
      operation.responses['429'] = {
        description: 'Too many requests from this client; see Retry-After',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } },
      };
    }
  }
  return document;
}

/** Swagger UI for the security team at /api/docs, the JSON at /api/docs/json. */
export function setupSwagger(app: NestFastifyApplication): void {
  SwaggerModule.setup(SWAGGER_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: `${SWAGGER_PATH}/json`,
    swaggerOptions: { persistAuthorization: false },
  });
}
