import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { KnownDevicesRepository } from './known-devices.repository.js';

/** The device cookie after a sign-in: its value and until when the device stays known. */
export interface RememberedDevice {
  token: string;
  expiresAt: Date;
}

/**
 * Browsers that signed in to an account (docs/architecture.md "Sessions").
 * The browser holds a random token in an httpOnly cookie; an account's row
 * holds SHA-256(account id ‖ token), under RLS. One browser keeps one token
 * for every account that signs in on it (a shared computer on a ward is known
 * to each of them), and the rows of different accounts cannot be linked.
 */
@Injectable()
export class KnownDevices {
  private readonly lifetimeSeconds: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly devices: KnownDevicesRepository,
  ) {
    this.lifetimeSeconds = config.loginThrottle.knownDeviceSeconds;
  }

  /** The device's id (for the throttle's counters) when this cookie marks a known device of the account, else null. Runs as that account. */
  async recognise(userId: string, token: string | undefined): Promise<string | null> {
    const tokenHash = this.tokenHashOf(userId, token);
    if (!tokenHash) return null;
    const row = await this.devices.find(userId, tokenHash);
    return row && this.isLive(row.expiresAt) ? this.deviceIdOf(tokenHash) : null;
  }

  /** What an account's row holds for this cookie (SHA-256 of account id and token), or null for a missing or malformed cookie. */
  tokenHashOf(userId: string, token: string | undefined): Buffer | null {
    return isWellFormed(token) ? hashOf(userId, token) : null;
  }

  /** The id the throttle counts a known device's failures under. */
  deviceIdOf(tokenHash: Buffer): string {
    return tokenHash.toString('base64url');
  }

  /** Whether a device row with this expiry still makes the browser known. */
  isLive(expiresAt: Date | null): boolean {
    return expiresAt !== null && expiresAt.getTime() > Date.now();
  }

  /**
   * After the account's secret (and security key, where it has one) was proven
   * from this browser: it is (or stays) a known device for another
   * KNOWN_DEVICE_SECONDS. A browser without a device cookie gets a new one.
   */
  async remember(userId: string, token: string | undefined, familyId: string | null): Promise<RememberedDevice> {
    const deviceToken = isWellFormed(token) ? token : randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.lifetimeSeconds * 1000);
    await this.devices.upsert(userId, hashOf(userId, deviceToken), familyId, expiresAt);
    return { token: deviceToken, expiresAt };
  }

  /** A password change or a recovery: every other browser must prove itself again. */
  async forgetAllBut(userId: string, keepToken: string | undefined): Promise<void> {
    const keep = isWellFormed(keepToken) ? hashOf(userId, keepToken) : Buffer.alloc(32);
    await this.devices.deleteAllBut(userId, keep);
  }

  /** The account holder ended a session from the list: the browser that started it is no longer trusted either. */
  async forgetSession(userId: string, familyId: string): Promise<void> {
    await this.devices.deleteOfSession(userId, familyId);
  }

  /** Retention (ASVS 8.3.8): devices not seen for KNOWN_DEVICE_SECONDS go. The caller runs with no user: RLS hides every row, so a definer function deletes. */
  async purgeExpired(now: Date = new Date()): Promise<number> {
    return this.devices.purgeExpired(now);
  }
}

function isWellFormed(token: string | undefined): token is string {
  return token !== undefined && /^[A-Za-z0-9_-]{43}$/.test(token);
}

function hashOf(userId: string, token: string): Buffer {
  return createHash('sha256').update(`${userId.toLowerCase()}\n${token}`).digest();
}
