/** The doctors a patient can share with: the search (the typed fragment in the body, never the URL) and the key the server serves, typed by the contract, and their query keys. */
import { ROUTES } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function doctorsApi(client: ApiClient) {
  return {
    search: (q: string) => client.call(ROUTES.searchDoctors, { body: { q } }),
    publicKey: (id: string) => client.call(ROUTES.publicKey, { params: { id } }),
  };
}

export type DoctorsApi = ReturnType<typeof doctorsApi>;

/** Query keys of the doctors area; every key starts with `all`. */
export const doctorKeys = {
  all: ['doctors'] as const,
  search: (q: string) => [...doctorKeys.all, 'search', q] as const,
  /** A doctor's key as proven in the key directory (`why`: the key served, or a rotation to review). */
  provenKey: (doctorId: string | null, why: string | null) => [...doctorKeys.all, 'proven-key', doctorId, why] as const,
};
