/** The account's signed-in browsers (ASVS 3.3.4), typed by the contract, and their query keys. */
import { ROUTES } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function sessionsApi(client: ApiClient) {
  return {
    list: () => client.call(ROUTES.listSessions),
    end: (id: string) => client.call(ROUTES.revokeSession, { params: { id } }),
  };
}

export type SessionsApi = ReturnType<typeof sessionsApi>;

/** Query keys of the sessions area; every key starts with `all`. */
export const sessionKeys = {
  all: ['sessions'] as const,
  list: () => [...sessionKeys.all, 'list'] as const,
};

/** An auditor's read-only API tokens for Swagger UI and scripts (docs/protocol.md "API tokens"). */
export function apiTokensApi(client: ApiClient) {
  return {
    list: () => client.call(ROUTES.listApiTokens),
    issue: (label: string) => client.call(ROUTES.issueApiToken, { body: { label } }),
    end: (id: string) => client.call(ROUTES.revokeApiToken, { params: { id } }),
  };
}

/** Query keys of the API tokens; every key starts with `all`. */
export const apiTokenKeys = {
  all: ['api-tokens'] as const,
  list: () => [...apiTokenKeys.all, 'list'] as const,
};

export type ApiTokensApi = ReturnType<typeof apiTokensApi>;
