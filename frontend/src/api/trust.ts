/**
 * What the browser needs to judge the server's answers (docs/protocol.md
 * "Client-side checks"): the key directory, the sealed client state, and the
 * route that reports a check that failed.
 */
import {
  ROUTES,
  type ConsistencyQuery,
  type KeyBindingQuery,
  type KeyLogFrontierQuery,
  type KeyLogLeavesQuery,
  type PutClientStateRequest,
  type ReportSecurityEventRequest,
} from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function trustApi(client: ApiClient) {
  return {
    /** `accessToken`: a session the portal has not started (a sign-in it refuses). */
    reportSecurityEvent: (body: ReportSecurityEventRequest, accessToken?: string) => client.call(ROUTES.reportSecurityEvent, { body, accessToken }),
    clientState: () => client.call(ROUTES.clientState),
    putClientState: (body: PutClientStateRequest) => client.call(ROUTES.putClientState, { body }),
    treeHead: () => client.call(ROUTES.keyDirectoryHead),
    binding: (userId: string, query: KeyBindingQuery = {}) => client.call(ROUTES.keyBinding, { params: { id: userId }, query }),
    consistency: (query: ConsistencyQuery) => client.call(ROUTES.keyLogConsistency, { query }),
    frontier: (query: KeyLogFrontierQuery) => client.call(ROUTES.keyLogFrontier, { query }),
    leaves: (query: KeyLogLeavesQuery) => client.call(ROUTES.keyLogLeaves, { query }),
  };
}

export type TrustApi = ReturnType<typeof trustApi>;
