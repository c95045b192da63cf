import { ApiProperty } from '@nestjs/swagger';
import type { ClientState, ClientStateVersion } from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';
import { SEALED_CLIENT_STATE_EXAMPLE } from '../../contract/client-state.dto.js';

export class ClientStateDto implements ClientState {
  @ApiProperty({ example: 4, description: 'Starts at 0 (nothing stored); each write adds 1' }) version: number;
  @ApiProperty({ type: String, nullable: true, example: SEALED_CLIENT_STATE_EXAMPLE, description: 'The blob the browser sealed, base64url; null until the first write' })
  sealed: string | null;
}
true satisfies Exact<ClientStateDto, ClientState>;

export class ClientStateVersionDto implements ClientStateVersion {
  @ApiProperty({ example: 5 }) version: number;
}
true satisfies Exact<ClientStateVersionDto, ClientStateVersion>;
