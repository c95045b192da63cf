/**
 * The operator's step that prepares the object store before the API starts
 * (docker-compose.yml runs it as `store-init`; docs/running.md): creates the
 * private records bucket if it is missing and sets its CORS rules to the
 * portal's origin. Safe to run on every start. Any S3 store that keeps CORS
 * per bucket (Ceph's RADOS Gateway, Garage, SeaweedFS, AWS) is prepared the
 * same way.
 *
 *   S3_ENDPOINT=http://store:7480 S3_ACCESS_KEY=… S3_SECRET_KEY=… S3_BUCKET=phr-records \
 *   PORTAL_ORIGIN=https://localhost:8443 node backend/dist/cli/store-init.js
 */
import { Client } from 'minio';
import { prepareBucket } from '../storage/bucket-setup.js';

export interface StoreInitSettings {
  endpoint: URL;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  portalOrigin: string;
}

export function storeInitSettings(env: NodeJS.ProcessEnv): StoreInitSettings {
  const missing = ['S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'PORTAL_ORIGIN'].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`store-init: ${missing.join(', ')} must be set`);
  return {
    endpoint: new URL(env.S3_ENDPOINT as string),
    accessKey: env.S3_ACCESS_KEY as string,
    secretKey: env.S3_SECRET_KEY as string,
    bucket: env.S3_BUCKET || 'phr-records',
    region: env.S3_REGION || 'us-east-1',
    portalOrigin: new URL(env.PORTAL_ORIGIN as string).origin,
  };
}

export async function initStore(settings: StoreInitSettings): Promise<{ created: boolean }> {
  const useSSL = settings.endpoint.protocol === 'https:';
  const client = new Client({
    endPoint: settings.endpoint.hostname,
    port: settings.endpoint.port ? Number(settings.endpoint.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: settings.accessKey,
    secretKey: settings.secretKey,
    region: settings.region,
    pathStyle: true,
  });
  const created = await prepareBucket(client, { bucket: settings.bucket, region: settings.region, corsOrigins: [settings.portalOrigin] });
  return { created };
}

async function main(): Promise<void> {
  const settings = storeInitSettings(process.env);
  const { created } = await initStore(settings);
  console.log(`store-init: bucket ${settings.bucket} ${created ? 'created' : 'already there'}; CORS allows ${settings.portalOrigin} only`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((error: unknown) => {
    console.error(`store-init failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
