/**
 * The records released to the caller as a trusted contact (docs/protocol.md "Trusted contacts"):
 * the titles and files are opened here with the caller's private key (the recipient wrap, as a
 * doctor's), read-only. Images and PDFs are shown; anything else is saved as it was uploaded.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import type { TrustedContact } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { trustedContactKeys } from '../../api/trusted-contacts.js';
import type { DecryptedRecord } from '../../crypto/record-vault.js';
import { VaultError } from '../../crypto/vault.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { isPreviewable, saveFile } from '../records/open-record.js';
import { RecordViewer } from '../records/RecordViewer.js';

export function ReleasedRecords({ contact }: { contact: TrustedContact }) {
  const { user, trustedContacts, vault } = useSession();
  const viewerId = user?.id ?? '';
  const [viewing, setViewing] = useState<DecryptedRecord | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const openedFrom = useRef<HTMLElement | null>(null);
  const released = useQuery({
    queryKey: trustedContactKeys.released(contact.id),
    queryFn: async () => {
      const page = await trustedContacts.records(contact.id);
      const opened = await vault.openRecordMetadata(page.items, viewerId);
      return opened.map((item) => ({ id: item.id, title: 'metadata' in item ? item.metadata.title : `(cannot be opened: ${item.error})`, date: 'metadata' in item ? item.metadata.date : '' }));
    },
  });
  const open = useMutation({
    mutationFn: async (recordId: string) => {
      const fetchAndDecrypt = async () => vault.decryptRecord(await trustedContacts.record(contact.id, recordId), viewerId);
      try {
        return await fetchAndDecrypt();
      } catch (error) {
        // The GET URLs live about a minute: a slow start gets fresh ones, once.
        if (error instanceof VaultError && error.code === 'DOWNLOAD_EXPIRED') return fetchAndDecrypt();
        throw error;
      }
    },
    onSuccess: (record) => {
      if (isPreviewable(record.metadata.mimeType)) setViewing(record);
      else {
        saveFile(record.file, record.metadata.fileName);
        setNotice(`Decrypted and saved ${record.metadata.fileName}`);
      }
    },
  });
  const failure = released.error ?? open.error;
  return (
    <section aria-label={`Records of ${contact.patientName}`} className="stack">
      {released.isPending ? <p className="muted">Loading and decrypting the records…</p> : null}
      {failure ? <Alert tone="error">{describeError(failure)}</Alert> : null}
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {released.data && released.data.length === 0 ? <p className="muted">No records here.</p> : null}
      <ul className="stack" aria-label={`Released records of ${contact.patientName}`}>
        {released.data?.map((record) => (
          <li key={record.id} className="row" data-testid="released-record">
            <span>
              {record.title}
              {record.date ? <span className="muted"> · {record.date}</span> : null}
            </span>
            <Button
              type="button"
              variant="secondary"
              aria-label={`Open ${record.title}`}
              isBusy={open.isPending && open.variables === record.id}
              onClick={() => {
                openedFrom.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
                setNotice(null);
                open.mutate(record.id);
              }}
            >
              Open
            </Button>
          </li>
        ))}
      </ul>
      {viewing ? <RecordViewer record={viewing} onClose={() => setViewing(null)} returnFocusTo={openedFrom.current} /> : null}
    </section>
  );
}
