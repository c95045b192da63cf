/** What the browser checks and keeps to trust the server's answers: security-event reports (docs/protocol.md "Client-side checks"). */
import { ROUTES, type ReportSecurityEventRequest } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function trustApi(client: ApiClient) {
  return {
    /** `accessToken`: a session the portal has not started (a sign-in it refuses). */
    reportSecurityEvent: (body: ReportSecurityEventRequest, accessToken?: string) => client.call(ROUTES.reportSecurityEvent, { body, accessToken }),
  };
}

export type TrustApi = ReturnType<typeof trustApi>;
