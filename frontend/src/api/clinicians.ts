/** The clinicians area of the API (operators only), typed by the contract, and its query keys. */
import { ROUTES, type ClinicianStatus, type InviteClinicianRequest, type ListCliniciansQuery } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function cliniciansApi(client: ApiClient) {
  return {
    list: (query: ListCliniciansQuery) => client.call(ROUTES.listClinicians, { query }),
    invite: (body: InviteClinicianRequest) => client.call(ROUTES.inviteClinician, { body }),
    approve: (id: string) => client.call(ROUTES.approveClinician, { params: { id } }),
    refuse: (id: string, reason: string) => client.call(ROUTES.refuseClinician, { params: { id }, body: { reason } }),
    suspend: (id: string, reason: string) => client.call(ROUTES.suspendClinician, { params: { id }, body: { reason } }),
    reinstate: (id: string) => client.call(ROUTES.reinstateClinician, { params: { id } }),
  };
}

export type CliniciansApi = ReturnType<typeof cliniciansApi>;

/** Query keys of the clinicians area; every key starts with `all`. */
export const clinicianKeys = {
  all: ['clinicians'] as const,
  list: (status: ClinicianStatus) => [...clinicianKeys.all, 'list', status] as const,
};
