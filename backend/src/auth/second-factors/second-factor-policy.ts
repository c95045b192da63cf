import { Inject, Injectable } from '@nestjs/common';
import type { Role } from '@phr/shared-types';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { TotpFactorsRepository } from './totp-factors.repository.js';

/**
 * Which roles must have a second factor (REQUIRE_SECOND_FACTOR_ROLES; ASVS 6.3.2,
 * docs/protocol.md "Second factors"). A session of such an account without one
 * may only enrol one: its access tokens carry the enrolment scope, decided each
 * time one is issued (sign-in, refresh), so the first refresh after an
 * enrolment gives a full token, and a refresh after the last factor is removed
 * a restricted one again. Roles the policy does not name cost no query.
 */
@Injectable()
export class SecondFactorPolicy {
  private readonly requiredRoles: readonly Role[];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly factors: TotpFactorsRepository,
  ) {
    this.requiredRoles = config.secondFactors.requiredRoles;
  }

  async mustEnrol(user: AuthUser): Promise<boolean> {
    if (!this.requiredRoles.includes(user.role)) return false;
    return !(await this.factors.hasSecondFactor(user.userId));
  }
}
