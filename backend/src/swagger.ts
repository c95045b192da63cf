import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { HOST_REFRESH_COOKIE_NAME, REFRESH_COOKIE_NAME } from '@phr/shared-types';
import { ErrorResponseDto, REFRESH_COOKIE_SECURITY } from './common/swagger.js';

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
