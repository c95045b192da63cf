/** The break-glass area of the API (docs/protocol.md "Break-glass"), typed by the contract, and its query keys. */
import { ROUTES, type BreakGlassRequest, type ConfigureEmergencyRequest, type ReleaseEmergencyShareRequest, type ReviewEmergencyRequest } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function emergencyApi(client: ApiClient) {
  return {
    setup: () => client.call(ROUTES.emergencySetup),
    configure: (body: ConfigureEmergencyRequest) => client.call(ROUTES.configureEmergency, { body }),
    holderCandidates: (email: string) => client.call(ROUTES.emergencyHolderCandidates, { body: { email } }),
    breakGlass: (body: BreakGlassRequest) => client.call(ROUTES.breakGlass, { body }),
    breaks: () => client.call(ROUTES.listEmergencyBreaks),
    access: (id: string) => client.call(ROUTES.emergencyAccess, { params: { id } }),
    record: (id: string, recordId: string) => client.call(ROUTES.emergencyRecord, { params: { id, recordId } }),
    requests: () => client.call(ROUTES.emergencyShareRequests),
    release: (id: string, body: ReleaseEmergencyShareRequest) => client.call(ROUTES.releaseEmergencyShare, { params: { id }, body }),
    reviews: (status?: 'pending' | 'reviewed') => client.call(ROUTES.emergencyReviews, { query: status ? { status } : {} }),
    review: (id: string, body: ReviewEmergencyRequest) => client.call(ROUTES.reviewEmergency, { params: { id }, body }),
  };
}

export type EmergencyApi = ReturnType<typeof emergencyApi>;

/** Query keys of the break-glass area; every key starts with `all`. */
export const emergencyKeys = {
  all: ['emergency'] as const,
  setup: () => [...emergencyKeys.all, 'setup'] as const,
  breaks: () => [...emergencyKeys.all, 'breaks'] as const,
  /** The holders of the setup in force, their keys proven again. */
  keptHolders: (generation: number) => [...emergencyKeys.setup(), 'holders', generation] as const,
  /** The patient's folders with their names opened, to choose the emergency folder. */
  folderNames: () => [...emergencyKeys.all, 'folder-names'] as const,
  access: (breakId: string) => [...emergencyKeys.all, 'access', breakId] as const,
  /** The break's records opened with the emergency key, once per number of shares seen. */
  opened: (breakId: string, shares: number) => [...emergencyKeys.access(breakId), 'opened', shares] as const,
  /** A clinician's key proven for a release. */
  clinicianKey: (clinicianId: string, publicKey: string) => [...emergencyKeys.requests(), 'clinician-key', clinicianId, publicKey] as const,
  requests: () => [...emergencyKeys.all, 'requests'] as const,
  reviews: (status: 'pending' | 'reviewed') => [...emergencyKeys.all, 'reviews', status] as const,
};
