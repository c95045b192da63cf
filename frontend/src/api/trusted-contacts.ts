/** The trusted-contacts area of the API (docs/protocol.md "Trusted contacts"), typed by the contract, and its query keys. */
import { ROUTES, type NameTrustedContactRequest, type RewrapTrustedContactRequest } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function trustedContactsApi(client: ApiClient) {
  return {
    findCandidate: (email: string) => client.call(ROUTES.findContactCandidate, { body: { email } }),
    list: () => client.call(ROUTES.listTrustedContacts),
    name: (body: NameTrustedContactRequest) => client.call(ROUTES.nameTrustedContact, { body }),
    changeWait: (id: string, waitDays: number) => client.call(ROUTES.updateTrustedContact, { params: { id }, body: { waitDays } }),
    remove: (id: string) => client.call(ROUTES.removeTrustedContact, { params: { id } }),
    rewrap: (id: string, body: RewrapTrustedContactRequest) => client.call(ROUTES.rewrapTrustedContact, { params: { id }, body }),
    request: (id: string) => client.call(ROUTES.requestContactAccess, { params: { id } }),
    refuse: (id: string) => client.call(ROUTES.refuseContactAccess, { params: { id } }),
    records: (id: string) => client.call(ROUTES.listContactRecords, { params: { id } }),
    record: (id: string, recordId: string) => client.call(ROUTES.getContactRecord, { params: { id, recordId } }),
  };
}

export type TrustedContactsApi = ReturnType<typeof trustedContactsApi>;

/** Query keys of the trusted-contacts area; every key starts with `all`. */
export const trustedContactKeys = {
  all: ['trusted-contacts'] as const,
  list: () => [...trustedContactKeys.all, 'list'] as const,
  candidate: (email: string) => [...trustedContactKeys.all, 'candidate', email] as const,
  provenKey: (contactId: string | null, publicKey: string | null) => [...trustedContactKeys.all, 'proven-key', contactId, publicKey] as const,
  released: (trustedContactId: string) => [...trustedContactKeys.all, 'released', trustedContactId] as const,
};
