/** The consents area of the API (a patient's shares, a doctor's received ones), typed by the contract, and its query keys. */
import { ROUTES, type Consent, type ConsentStatus, type CreateConsentRequest, type ListConsentsQuery, type RewrapConsentRequest } from '@phr/shared-types';
import type { ApiClient } from './client.js';
import { everyPage } from './every-page.js';

export function consentsApi(client: ApiClient) {
  return {
    list: (query: ListConsentsQuery = {}) => client.call(ROUTES.listConsents, { query }),
    grant: (body: CreateConsentRequest) => client.call(ROUTES.createConsent, { body }),
    revoke: (id: string) => client.call(ROUTES.updateConsent, { params: { id }, body: { status: 'revoked' } }),
    rewrap: (id: string, body: RewrapConsentRequest) => client.call(ROUTES.rewrapConsent, { params: { id }, body }),
  };
}

export type ConsentsApi = ReturnType<typeof consentsApi>;

/** Every consent of this status, page after page: for a browser action that must see them all (an export, a folder's re-sealed labels). */
export function allConsents(consents: ConsentsApi, status: ConsentStatus | undefined): Promise<Consent[]> {
  return everyPage((cursor) => consents.list({ status, cursor, limit: 100 }));
}

/** Query keys of the consents area; every key starts with `all`. */
export const consentKeys = {
  all: ['consents'] as const,
  lists: () => [...consentKeys.all, 'list'] as const,
  /** The pages shown so far of a paged list; `null`: every status. */
  list: (status: ConsentStatus | null) => [...consentKeys.lists(), status] as const,
  /** Every consent of a status at once (allConsents). */
  every: (status: ConsentStatus) => [...consentKeys.lists(), 'every', status] as const,
  detail: (consentId: string) => [...consentKeys.all, 'detail', consentId] as const,
  /** A doctor's opened folder labels, keyed by each consent and its label's version (docs/protocol.md "Folder labels"). */
  folderLabels: (labelKeys: string[]) => [...consentKeys.all, 'folder-labels', ...labelKeys] as const,
};
