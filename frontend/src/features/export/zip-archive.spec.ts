import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { strFromU8, unzipSync, type UnzipFileInfo } from 'fflate';
import { ExportCancelled, ZipArchive } from './zip-archive.js';

async function unzip(archive: Blob): Promise<{ files: Record<string, Uint8Array>; entries: UnzipFileInfo[] }> {
  const entries: UnzipFileInfo[] = [];
  const files = unzipSync(new Uint8Array(await archive.arrayBuffer()), {
    filter: (entry) => {
      entries.push(entry);
      return true;
    },
  });
  return { files, entries };
}

describe('the export’s ZIP writer', () => {
  it('streams Blobs and text into stored entries that unzip to the same bytes, UTF-8 names included', async () => {
    const large = randomBytes(3 * 1024 * 1024 + 7);
    const archive = new ZipArchive();
    const signal = new AbortController().signal;
    await archive.addBlob('records/Befund Röntgen.bin', new Blob([large]), new Date('2026-03-01T10:00:00Z'), signal);
    await archive.addBlob('records/empty.txt', new Blob([]), new Date('1970-01-01T00:00:00Z'), signal);
    archive.addText('manifest.json', '{"ok":true}', new Date());
    const blob = archive.finish();
    expect(blob.type).toBe('application/zip');

    const { files, entries } = await unzip(blob);
    expect(Object.keys(files)).toEqual(['records/Befund Röntgen.bin', 'records/empty.txt', 'manifest.json']);
    expect(Buffer.from(files['records/Befund Röntgen.bin']).equals(large)).toBe(true);
    expect(files['records/empty.txt']).toHaveLength(0);
    expect(strFromU8(files['manifest.json'])).toBe('{"ok":true}');
    expect(entries.map((entry) => entry.compression)).toEqual([0, 0, 0]);
  });

  it('stops between chunks when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(new ZipArchive().addBlob('records/a.bin', new Blob([randomBytes(1024)]), new Date(), controller.signal)).rejects.toBeInstanceOf(ExportCancelled);
  });
});
