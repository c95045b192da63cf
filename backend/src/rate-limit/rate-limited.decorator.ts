import { SetMetadata } from '@nestjs/common';
import type { RateLimitName } from '../config/app-config.js';

export const RATE_LIMITS = 'phr:rateLimits';

/** A stricter limit on top of the general one (RATE_LIMIT_* settings), counted per client. */
export const RateLimited = (name: Exclude<RateLimitName, 'general'>): MethodDecorator => SetMetadata(RATE_LIMITS, [name]);
