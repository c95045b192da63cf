/**
 * The store suite's shared part (support/s3-contract.ts) against Ceph's RADOS Gateway, the S3
 * server of docker-compose.yml, run from Debian's packages by the `rgw` project's global
 * setup: a bucket of its own per test, prepared as store-init prepares production's.
 */
import { describeS3Contract } from '../support/s3-contract.js';
import { bucketOnRgw } from './rgw-support.js';

describeS3Contract("Ceph's RADOS Gateway", { start: bucketOnRgw });
