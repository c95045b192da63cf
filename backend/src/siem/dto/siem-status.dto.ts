import { ApiProperty } from '@nestjs/swagger';
import { SIEM_MODES, type SiemMode, type SiemStatus } from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';

class SiemLastShippedDto {
  @ApiProperty({ format: 'uuid' }) subjectId: string;
  @ApiProperty() seq: number;
  @ApiProperty({ format: 'date-time' }) at: string;
}

class SiemLastErrorDto {
  @ApiProperty({ description: 'The destination and what failed (a refused connection, a certificate the CA does not vouch for, a full disk)' }) message: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class SiemStatusDto implements SiemStatus {
  @ApiProperty({ enum: SIEM_MODES, description: 'SIEM_MODE of this instance' }) mode: SiemMode;
  @ApiProperty({ type: String, nullable: true, description: 'host:port of the syslog receiver, or the NDJSON file; null when off' }) destination: string | null;
  @ApiProperty({ description: 'Audit rows committed and not yet shipped' }) pendingRows: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the oldest pending row’s trail was marked; null when none is pending' }) oldestPendingAt: string | null;
  @ApiProperty({ description: 'Rows shipped since the stream began (a batch sent again counts again)' }) shippedRows: number;
  @ApiProperty({ type: SiemLastShippedDto, nullable: true }) lastShipped: SiemLastShippedDto | null;
  @ApiProperty({ type: SiemLastErrorDto, nullable: true, description: 'Kept after a later success: compare its time with lastShipped.at' }) lastError: SiemLastErrorDto | null;
}
true satisfies Exact<SiemStatusDto, SiemStatus>;
