import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { REFRESH_COOKIE_NAME } from '@phr/shared-types';
import { ErrorResponseDto } from './common/swagger.js';

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
    .addCookieAuth(REFRESH_COOKIE_NAME)
    .build();
  return SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] });
}

/** Swagger UI for the security team at /api/docs, the JSON at /api/docs/json. */
export function setupSwagger(app: NestFastifyApplication): void {
  SwaggerModule.setup(SWAGGER_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: `${SWAGGER_PATH}/json`,
    swaggerOptions: { persistAuthorization: false },
  });
}
