import { newKeyLogSigningKey } from '@phr/infra/local/local-secrets.js';

/**
 * A complete, valid environment for loadConfig(): every variable it requires, with a fresh key-log
 * signing key. Tests of the configuration spread their own variables over it.
 */
export function validConfigEnv(): Record<string, string> {
  return {
    DATABASE_URL: 'postgres://phr_app:pw@127.0.0.1:5432/phr',
    S3_ENDPOINT: 'http://127.0.0.1:9000',
    S3_ACCESS_KEY: 'access',
    S3_SECRET_KEY: 'secret',
    JWT_SECRET: Buffer.alloc(32, 7).toString('base64'),
    PRELOGIN_SECRET: Buffer.alloc(32, 9).toString('hex'),
    SMTP_URL: 'smtp://mail.example.org:587',
    MAIL_FROM: 'Health Records <no-reply@example.org>',
    KEY_LOG_SIGNING_KEY: newKeyLogSigningKey(),
  };
}
