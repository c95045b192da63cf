/**
 * The API signs pre-signed URLs with a date; the store checks that date
 * against its own clock. An API clock behind the store's by more than a
 * download URL's minute made every download URL expired on arrival (403); more
 * than S3's 15 minutes off, every call was refused and the API would not start
 * without saying why. The API reads the store's clock (its Date header) and
 * dates URLs by it, and refuses to start, naming the problem, past 15 minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES } from '@phr/shared-types';
import { registerUser, type RegisteredUser } from './support/factories.js';
import { uploadRecord } from './support/records.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('an API whose clock is off the object store’s', () => {
  describe('by 90 seconds (the store is ahead)', () => {
    let api: TestApp;
    let patient: RegisteredUser;

    beforeAll(async () => {
      api = await startTestApp({}, false, { storeClockOffsetMs: 90_000 });
      patient = await registerUser(api);
    });
    afterAll(async () => {
      await api?.close();
    });

    it('dates its URLs by the store’s clock: uploads and one-minute downloads work', async () => {
      const { summary, bodies } = await uploadRecord(patient, 5000);
      const detail = await patient.client.send(ROUTES.getRecord, { params: { id: summary.id }, token: patient.token });
      expect(detail.status).toBe(200);
      const amzDate = new URL(detail.body.segments[0].url).searchParams.get('X-Amz-Date') ?? '';
      const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
      expect(signedAt - Date.now()).toBeGreaterThan(60_000);
      const download = await fetch(detail.body.segments[0].url);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(bodies[0])).toBe(true);
      expect((await patient.client.send(ROUTES.health)).status).toBe(200);
    });
  });

  it('refuses to start when the clocks are more than 15 minutes apart, and says why', async () => {
    await expect(startTestApp({}, false, { storeClockOffsetMs: -20 * 60_000 })).rejects.toThrow(
      /The object store's clock is 1[12]\d\d s behind this API's.*set both machines to the right time \(NTP\)/,
    );
  });
});
