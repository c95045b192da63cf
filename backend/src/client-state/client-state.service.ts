import { Injectable } from '@nestjs/common';
import { CLIENT_STATE_MAX_BYTES, ERROR_CODES, type ClientState, type ClientStateVersion, type PutClientStateRequest } from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { ClientStateRepository } from './client-state.repository.js';

/**
 * The browser's sealed memory across devices (docs/protocol.md "Client
 * state"): one opaque blob per account, sealed under the account key. The
 * server stores, versions and returns it, and never looks inside.
 */
@Injectable()
export class ClientStateService {
  constructor(
    private readonly states: ClientStateRepository,
    private readonly audit: AuditService,
  ) {}

  async read(user: AuthUser): Promise<ClientState> {
    const state = await this.states.find(user.userId);
    return state ?? { version: 0, sealed: null };
  }

  async replace(user: AuthUser, request: PutClientStateRequest): Promise<ClientStateVersion> {
    if (Math.floor((request.sealed.length * 3) / 4) > CLIENT_STATE_MAX_BYTES) {
      throw new ApiError(413, ERROR_CODES.payloadTooLarge, `The sealed client state may hold at most ${CLIENT_STATE_MAX_BYTES} bytes`);
    }
    const version =
      request.expectedVersion === 0
        ? await this.states.insertFirst(user.userId, request.sealed)
        : await this.states.replace(user.userId, request.expectedVersion, request.sealed);
    if (version === null) {
      throw new ApiError(409, ERROR_CODES.conflict, `The client state is no longer at version ${request.expectedVersion}: read it again, merge, and write on the version read`);
    }
    await this.audit.allow({ subjectId: user.userId, action: 'account.client-state', reason: `version ${version}` });
    return { version };
  }
}
