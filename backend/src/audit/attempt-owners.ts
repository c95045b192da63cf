import { Injectable } from '@nestjs/common';
import { AttemptOwnersRepository, type TargetKind } from './attempt-owners.repository.js';
import { AuditEventsRepository } from './audit-events.repository.js';

export type { TargetKind };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whose trail an attempt belongs in (DESIGN 7: every attempt on a patient's
 * data is filed in that patient's trail, with the target's id), for targets
 * the caller may not be allowed to see. A malformed id names nobody.
 */
@Injectable()
export class AttemptOwners {
  constructor(
    private readonly owners: AttemptOwnersRepository,
    private readonly events: AuditEventsRepository,
  ) {}

  async ownerOf(kind: TargetKind, id: string): Promise<string | null> {
    if (!UUID.test(id)) return null;
    return this.owners.ownerOf(kind, id.toLowerCase());
  }

  /** Whether a subject's trail exists: an id that names nobody gets no chain started for it. */
  async hasTrail(subjectId: string): Promise<boolean> {
    if (!UUID.test(subjectId)) return false;
    return this.events.trailExists(subjectId.toLowerCase());
  }
}
