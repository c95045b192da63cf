import { Module } from '@nestjs/common';
import { SiemController } from './siem.controller.js';
import { SiemShipper } from './siem-shipper.js';
import { SiemRepository } from './siem.repository.js';
import { SiemService } from './siem.service.js';

/** Streaming the audit trail to a SIEM: the shipper (a job in every instance, one ships at a time) and the operators' status route. */
@Module({
  controllers: [SiemController],
  providers: [SiemRepository, SiemShipper, SiemService],
})
export class SiemModule {}
