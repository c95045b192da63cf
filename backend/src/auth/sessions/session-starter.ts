import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AuditAction, SessionResponse } from '@phr/shared-types';
import { AuditService } from '../../audit/audit.service.js';
import { Db } from '../../db/db.service.js';
import { toStanding } from '../../clinicians/clinician-standing.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { toMe } from '../../users/users.service.js';
import { kdfOf } from '../credentials/kdf.js';
import { KnownDevices, type RememberedDevice } from '../sign-in/known-devices.service.js';
import { SessionBodiesRepository, type SessionBodyRow } from './session-bodies.repository.js';
import { SessionService, type IssuedSession } from './session.service.js';

/** The device cookie a request brought, if any (docs/architecture.md "Sessions"). */
export type DeviceToken = string | undefined;

/** The refresh cookie a request brought, if any: the session this browser holds now. */
export type RefreshToken = string | undefined;

/** What the controller needs: the body, the refresh token and the device token for the cookies. */
export interface SessionResult {
  body: SessionResponse;
  session: IssuedSession;
  device: RememberedDevice;
}

/** An unlocked session (SignInService.unlock): the same body, a rotated refresh token, the device cookie as it was. */
export type ResumedSession = Omit<SessionResult, 'device'>;

/** The end of every proven sign-in (password, security key, registration, recovery): a session and the account's keys. */
@Injectable()
export class SessionStarter {
  constructor(
    private readonly bodies: SessionBodiesRepository,
    private readonly sessions: SessionService,
    private readonly devices: KnownDevices,
    private readonly audit: AuditService,
    private readonly db: Db,
  ) {}

  /**
   * A session for an account whose secret was proven from this browser, which
   * thereby becomes (or stays) one of its known devices. A sign-in's audit row
   * says whether the device was known. The session the browser held until now
   * (`replacing`, its refresh cookie) ends: one session per browser.
   *
   * The session's family is chosen here, so that its three statements (the
   * refresh token, the known device that names the family, the account's data)
   * go out together and take one round trip (node-postgres pipeline mode,
   * issue 14); PostgreSQL runs them in that order, and if one fails the
   * transaction is aborted and the others fail with it.
   */
  async start(user: AuthUser, reason: AuditAction, deviceToken: DeviceToken, isKnownDevice: boolean, replacing: RefreshToken): Promise<SessionResult> {
    if (replacing) {
      await this.sessions.endReplaced(replacing);
      await this.db.becomeActor(user);
    }
    const family = { id: randomUUID(), startedAt: new Date() };
    if (reason === 'session.login') await this.audit.allow({ subjectId: user.userId, action: 'session.login', reason: isKnownDevice ? 'known device' : 'new device' });
    const [session, device, account] = await Promise.all([
      this.sessions.issue(user, family),
      this.devices.remember(user.userId, deviceToken, family.id),
      this.bodies.get(user.userId),
    ]);
    return { session, device, body: bodyOf(session, account) };
  }

  /** The answer of an unlock: the session goes on with `session`, its family's new token. */
  async resume(user: AuthUser, session: IssuedSession): Promise<ResumedSession> {
    return { session, body: bodyOf(session, await this.bodies.get(user.userId)) };
  }
}

function bodyOf(session: IssuedSession, account: SessionBodyRow): SessionResponse {
  return {
    accessToken: session.accessToken,
    expiresIn: session.expiresIn,
    user: toMe(account.user, account.fingerprint, account.standing ? toStanding(account.standing) : null),
    ...(session.mustEnrolSecondFactor ? { mustEnrolSecondFactor: true as const } : {}),
    keys: {
      kdf: kdfOf(account),
      wrappedAccountKey: account.wrappedAccountKey,
      wrappedPrivateKey: account.wrappedPrivateKey,
      publicKey: account.publicKey,
      fingerprint: account.fingerprint,
      keyGeneration: account.keyGeneration,
      ...(account.rotation ? { rotation: account.rotation } : {}),
    },
  };
}
