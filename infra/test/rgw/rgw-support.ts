/** The gateway the `rgw` project's global setup started, and buckets on it for the store tests. */
import { randomBytes } from 'node:crypto';

import { Client } from 'minio';

import { prepareBucket, removeBucket } from '../../../backend/src/storage/bucket-setup.js';
import { APP_ORIGIN, REGION, type StoreUnderTest } from '../support/s3-contract.js';

export function rgwFromEnvironment(): { endpoint: URL; accessKey: string; secretKey: string } {
  const endpoint = process.env.PHR_TEST_RGW_ENDPOINT;
  const accessKey = process.env.PHR_TEST_RGW_ACCESS_KEY;
  const secretKey = process.env.PHR_TEST_RGW_SECRET_KEY;
  if (!endpoint || !accessKey || !secretKey) throw new Error('PHR_TEST_RGW_* are not set: run this file in the rgw Jest project (its global setup starts the gateway)');
  return { endpoint: new URL(endpoint), accessKey, secretKey };
}

/** A fresh private bucket on the gateway, with CORS for APP_ORIGIN, as store-init sets it. */
export async function bucketOnRgw(): Promise<StoreUnderTest> {
  const { endpoint, accessKey, secretKey } = rgwFromEnvironment();
  const port = Number(endpoint.port);
  const admin = new Client({ endPoint: endpoint.hostname, port, useSSL: false, accessKey, secretKey, region: REGION, pathStyle: true });
  const bucket = `contract-${randomBytes(5).toString('hex')}`;
  await prepareBucket(admin, { bucket, region: REGION, corsOrigins: [APP_ORIGIN] });
  return { endpoint: endpoint.origin, port, accessKey, secretKey, bucket, stop: () => removeBucket(admin, bucket) };
}
