import { recordLayout } from '@phr/shared-types';

/** Object keys are chosen by the server, never by a client: the record id and the segment index. */
export function segmentObjectKey(recordId: string, index: number): string {
  return `records/${recordId}/${index}`;
}

export function segmentObjectKeys(recordId: string, size: number, chunkBytes: number): string[] {
  return recordLayout(size, chunkBytes).segments.map((segment) => segmentObjectKey(recordId, segment.index));
}
