/**
 * Record uploads as the portal makes them, minus the cryptography: the API
 * never opens ciphertext, so random bytes of the layout's sizes stand in for
 * sealed segments (the real stream is tested by the crypto and browser suites).
 */
import { randomBytes } from 'node:crypto';
import { ROUTES, recordLayout, type CommitRecordRequest, type PresignUploadResponse, type RecordSummary, type SegmentUrl } from '@phr/shared-types';
import { sealedBlob } from './factories.js';
import type { TestClient, RouteResult } from './http.js';

export interface Uploader {
  client: TestClient;
  token: string;
}

export async function presign(user: Uploader, size: number, recordId?: string): Promise<PresignUploadResponse> {
  const response = await user.client.send(ROUTES.presignUpload, { token: user.token, body: { size, recordId } });
  if (response.status !== 200) throw new Error(`presign failed: ${response.status} ${response.text}`);
  return response.body;
}

/** Stand-in ciphertext for every segment of a record of `size` plaintext bytes. */
export function segmentBodies(size: number): Buffer[] {
  return recordLayout(size).segments.map((segment) => randomBytes(segment.byteLength));
}

/** PUTs to a pre-signed URL with the headers it was signed with (SegmentUrl.headers), as the portal does. */
export async function putObject(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  // A copy typed as the DOM's BodyInit too (the benchmark compiles this file with the DOM library).
  return fetch(url, { method: 'PUT', body: new Uint8Array(body), headers });
}

/** PUTs one segment of an upload the way the portal does. */
export function putSegment(segment: SegmentUrl, body: Buffer): Promise<Response> {
  return putObject(segment.url, body, segment.headers);
}

export async function putSegments(upload: PresignUploadResponse, bodies: Buffer[]): Promise<void> {
  for (const segment of upload.segments) {
    const response = await putSegment(segment, bodies[segment.index]);
    if (response.status !== 200) throw new Error(`PUT of segment ${segment.index} failed: ${response.status} ${await response.text()}`);
  }
}

export function commit(user: Uploader, request: CommitRecordRequest): Promise<RouteResult<RecordSummary>> {
  return user.client.send(ROUTES.commitRecord, { token: user.token, body: request });
}

export function commitRequest(recordId: string, folderId?: string): CommitRecordRequest {
  return { recordId, folderId, metadata: sealedBlob(200), ownerWrap: sealedBlob() };
}

export interface UploadedRecord {
  summary: RecordSummary;
  bodies: Buffer[];
}

/** Presign, PUT every segment, commit: one record of `size` plaintext bytes. */
export async function uploadRecord(user: Uploader, size = 1000, folderId?: string): Promise<UploadedRecord> {
  const upload = await presign(user, size);
  const bodies = segmentBodies(size);
  await putSegments(upload, bodies);
  const response = await commit(user, commitRequest(upload.recordId, folderId));
  if (response.status !== 201) throw new Error(`commit failed: ${response.status} ${response.text}`);
  return { summary: response.body, bodies };
}
