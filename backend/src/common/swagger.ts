import { applyDecorators } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiProperty, ApiPropertyOptional, ApiQuery, ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ERROR_CODES, HOST_REFRESH_COOKIE_NAME, REFRESH_COOKIE_NAME, type AccessEnded, type ErrorCode, type ErrorResponse, type FieldError } from '@phr/shared-types';
import type { Exact } from './exact.js';
import { OPERATION_DESCRIPTIONS } from './operation-descriptions.js';
import { WORKBENCH_SCRIPT, WORKBENCH_STYLESHEET, serveWorkbenchAssets } from './swagger-workbench.js';

class FieldErrorDto implements FieldError {
  @ApiProperty({ example: 'email' }) field: string;
  @ApiProperty({ example: 'email must be an email address' }) message: string;
}

/**
 * An optional query parameter of comma-separated ids (`ids=a,b`, validated by `IsIdList`): an
 * array of UUIDs in form style, not exploded, which a DTO property cannot describe, so Swagger UI
 * takes one id per line and sends them joined.
 */
export const ApiIdListQuery = (name: string, max: number, description: string) =>
  ApiQuery({ name, required: false, style: 'form', explode: false, schema: { type: 'array', items: { type: 'string', format: 'uuid' }, maxItems: max }, description });

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
  410: 'ACCESS_ENDED: a doctor’s consent covering this record was revoked or expired (accessEnded says whose, how and when); EMERGENCY_ENDED: a break-glass past its time box',
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
  return withErrorExamples(withDescriptions(withRateLimitAnswers(SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] }))));
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;

function operationsOf(document: OpenAPIObject): Operation[] {
  return Object.values(document.paths).flatMap((item) => METHODS.map((method) => item[method]).filter((operation) => operation !== undefined));
}

/** Each operation's description (operation-descriptions.ts), before what its own decorator says. */
function withDescriptions(document: OpenAPIObject): OpenAPIObject {
  for (const operation of operationsOf(document)) {
    const described = operation.operationId ? OPERATION_DESCRIPTIONS[operation.operationId] : undefined;
    if (described) operation.description = operation.description ? `${described}\n\n${operation.description}` : described;
  }
  return document;
}

/**
 * The codes each error status answers with (ERROR_CODES), first the usual one. The schema's own
 * example is a 400; without these, Swagger UI showed that body under 401, 403 and 429 too.
 */
export const ERROR_EXAMPLES: Record<number, Array<{ code: ErrorCode; message: string }>> = {
  400: [{ code: ERROR_CODES.validation, message: 'The request is not valid' }],
  401: [{ code: ERROR_CODES.unauthenticated, message: 'A valid access token is required' }],
  403: [
    { code: ERROR_CODES.forbidden, message: 'Your role may not use this route' },
    { code: ERROR_CODES.secondFactorRequired, message: 'Your role requires a second factor: enrol an authenticator app or a security key first' },
  ],
  404: [{ code: ERROR_CODES.notFound, message: 'Not found' }],
  409: [{ code: ERROR_CODES.conflict, message: 'This conflicts with existing data' }],
  410: [{ code: ERROR_CODES.accessEnded, message: 'Maria Lopez withdrew access on 2026-12-01' }],
  413: [{ code: ERROR_CODES.payloadTooLarge, message: 'The request body is too large' }],
  429: [
    { code: ERROR_CODES.tooManyRequests, message: 'Too many requests; try again after Retry-After seconds' },
    { code: ERROR_CODES.proofOfWorkRequired, message: 'Solve a proof of work from POST /api/auth/proof-of-work and send it with the next attempt' },
  ],
  503: [{ code: ERROR_CODES.serviceUnavailable, message: 'A service the API needs is unavailable; nothing was changed' }],
};

const EXAMPLE_REQUEST_ID = '5b7c0d2e-8f1a-4c3b-9d6e-2a4f8b1c7e90';

/** Every error answer in the ErrorResponse shape gets examples of its own status and codes. */
function withErrorExamples(document: OpenAPIObject): OpenAPIObject {
  for (const operation of operationsOf(document)) {
    for (const [status, response] of Object.entries(operation.responses)) {
      const media = (response as { content?: Record<string, { schema?: { $ref?: string }; examples?: unknown }> }).content?.['application/json'];
      const examples = ERROR_EXAMPLES[Number(status)];
      if (!media || media.schema?.$ref !== '#/components/schemas/ErrorResponseDto' || !examples) continue;
      // Only the sign-in and recovery routes ask for a proof of work.
      const codes = examples.filter((example) => example.code !== ERROR_CODES.proofOfWorkRequired || /PROOF_OF_WORK_REQUIRED/.test(String((response as { description?: string }).description)));
      media.examples = Object.fromEntries(
        codes.map(({ code, message }) => [
          code,
          {
            summary: `${status} ${code}`,
            value: {
              statusCode: Number(status),
              code,
              message,
              requestId: EXAMPLE_REQUEST_ID,
              ...(code === ERROR_CODES.validation ? { fields: [{ field: 'email', message: 'email must be an email address' }] } : {}),
              ...(code === ERROR_CODES.accessEnded ? { accessEnded: { reason: 'revoked', patientName: 'Maria Lopez', endedAt: '2026-12-01T09:30:00.000Z' } } : {}),
            },
          },
        ]),
      );
    }
  }
  return document;
}

/** Every route counts against the rate limits (ASVS 8.1.4), so every route may answer 429. */
function withRateLimitAnswers(document: OpenAPIObject): OpenAPIObject {
  for (const operation of operationsOf(document)) {
    if (operation.responses['429']) continue;
    operation.responses['429'] = {
      description: 'Too many requests from this client; see Retry-After',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } },
    };
  }
  return document;
}

/**
 * Swagger UI for the security team at /api/docs, the JSON at /api/docs/json (swagger-workbench.ts
 * for the page's own style and script). The authorization is kept in the page's localStorage
 * (the API's origin, under the page's 'self'-only CSP) so a reload keeps it; the token it holds is
 * short-lived, and an auditor's API token read-only and revocable (docs/protocol.md "API tokens").
 * The base layout leaves out the top bar, whose free URL box would load other documents.
 * Deep links are off: they put a link inside each operation's button (axe: nested-interactive).
 */
export function setupSwagger(app: NestFastifyApplication): void {
  serveWorkbenchAssets(app, SWAGGER_PATH);
  SwaggerModule.setup(SWAGGER_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: `${SWAGGER_PATH}/json`,
    customSiteTitle: 'Patient-held health records API',
    customCssUrl: `/${SWAGGER_PATH}/${WORKBENCH_STYLESHEET}`,
    customJs: `/${SWAGGER_PATH}/${WORKBENCH_SCRIPT}`,
    swaggerOptions: { persistAuthorization: true, deepLinking: false, layout: 'BaseLayout', displayRequestDuration: true },
  });
}
