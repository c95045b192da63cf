/** Opens a record: its detail from the API, then download and decryption in the crypto worker. */
import type { RecordsApi } from '../../api/records.js';
import type { DecryptedRecord, DecryptOptions } from '../../crypto/record-vault.js';
import { VaultError, type VaultHandle } from '../../crypto/vault.js';

/** Types the browser shows itself once decrypted; everything else is downloaded. */
export function isPreviewable(mimeType: string): boolean {
  return /^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(mimeType) || mimeType === 'application/pdf';
}

export async function openRecord(records: RecordsApi, vault: VaultHandle, recordId: string, viewerId: string, options: DecryptOptions = {}): Promise<DecryptedRecord> {
  try {
    return await vault.decryptRecord(await records.get(recordId), viewerId, options);
  } catch (error) {
    // The GET URLs live about a minute: a slow start gets fresh ones, once.
    if (error instanceof VaultError && error.code === 'DOWNLOAD_EXPIRED') return vault.decryptRecord(await records.get(recordId), viewerId, options);
    throw error;
  }
}

/** Saves a Blob under its original name through a temporary link. */
export function saveFile(file: Blob, fileName: string): void {
  const url = URL.createObjectURL(file);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
