import { SetMetadata } from '@nestjs/common';
import type { TargetKind } from './attempt-owners.js';

/** Where a route carries the id of what it acts on: a path parameter or a body field. */
export type TargetSource = `param:${string}` | `body:${string}`;

export const ATTEMPT_TARGETS = 'phr:attemptTargets';

export type AttemptTargetMap = Partial<Record<Exclude<TargetKind, 'securityKey' | 'trustedContact'>, TargetSource>>;

/**
 * Names the patient data a route acts on, so that an attempt refused before
 * the handler runs (the role guard's 403) is filed in the owner's trail with
 * the target's id, not only in the caller's (DESIGN 7).
 */
export const AttemptTargets = (targets: AttemptTargetMap): MethodDecorator => SetMetadata(ATTEMPT_TARGETS, targets);
