/** The upload list of the records page: files queued, in progress, done, failed or cancelled. */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import type { RecordCategory, RecordMetadata } from '@phr/shared-types';
import { invalidateAfter } from '../../api/invalidate.js';
import { isMediaType } from '../../crypto/record-metadata.js';
import { useSession } from '../auth/session.js';
import { useTrust } from '../trust/TrustProvider.js';
import { describeUploadError, uploadRecord, UploadCancelled, type UploadProgress } from './upload-record.js';

/** Files encrypted and uploaded at once; the rest wait their turn. */
const FILES_AT_ONCE = 2;

export interface UploadItem {
  key: number;
  fileName: string;
  size: number;
  progress: UploadProgress;
  error: string | null;
  /** This file's category: the panel's choice when it was added, changeable until the upload is sealed. */
  category: RecordCategory;
}

export interface UploadChoices {
  folderId?: string;
  category: RecordCategory;
  date: string;
}

export function useUploads() {
  const { user, records, vault } = useSession();
  const { proveContactKey } = useTrust();
  const queryClient = useQueryClient();
  const [items, setItems] = useState<UploadItem[]>([]);
  const controllers = useRef(new Map<number, AbortController>());
  const queue = useRef<Array<() => Promise<void>>>([]);
  const running = useRef(0);
  const nextKey = useRef(1);
  /** Each upload's category as last chosen, read when its metadata is sealed. */
  const categories = useRef(new Map<number, RecordCategory>());
  /** The file and choices of each upload not yet done, so that a failed one can be tried again. */
  const sources = useRef(new Map<number, { file: File; choices: UploadChoices }>());

  const update = useCallback((key: number, change: Partial<UploadItem>) => {
    setItems((current) => current.map((item) => (item.key === key ? { ...item, ...change } : item)));
  }, []);

  const pump = useCallback(() => {
    while (running.current < FILES_AT_ONCE && queue.current.length > 0) {
      const job = queue.current.shift() as () => Promise<void>;
      running.current += 1;
      void job().finally(() => {
        running.current -= 1;
        pump();
      });
    }
  }, []);

  /** Queues the upload of an item's file; its row shows the progress. A failed upload keeps its file here, for Retry. */
  const start = useCallback(
    (key: number, file: File, choices: UploadChoices) => {
      if (!user) return;
      const controller = new AbortController();
      controllers.current.set(key, controller);
      sources.current.set(key, { file, choices });
      queue.current.push(async () => {
        if (controller.signal.aborted) return;
        try {
          await uploadRecord({
            file,
            ownerId: user.id,
            folderId: choices.folderId,
            metadata: () => metadataFor(file, { ...choices, category: categories.current.get(key) ?? choices.category }),
            records,
            vault,
            proveDoctorKey: (doctor, served) =>
              proveContactKey(doctor.id, doctor.name, [{ where: 'the key the server serves for new uploads', publicKey: served }], { folderId: choices.folderId ?? null }),
            signal: controller.signal,
            onProgress: (next) => update(key, { progress: next }),
          });
          sources.current.delete(key);
          await invalidateAfter(queryClient, 'recordUploaded');
        } catch (error) {
          const cancelled = error instanceof UploadCancelled;
          if (cancelled) sources.current.delete(key);
          setItems((current) =>
            current.map((item) =>
              item.key === key ? { ...item, error: cancelled ? null : describeUploadError(error), progress: { ...item.progress, retry: undefined, phase: cancelled ? 'cancelled' : 'failed' } } : item,
            ),
          );
        } finally {
          controllers.current.delete(key);
        }
      });
      pump();
    },
    [user, records, vault, proveContactKey, queryClient, update, pump],
  );

  const add = useCallback(
    (files: File[], choices: UploadChoices) => {
      if (!user) return;
      for (const file of files) {
        const key = nextKey.current++;
        const progress: UploadProgress = { phase: 'queued', encryptedBytes: 0, uploadedBytes: 0, totalBytes: file.size };
        categories.current.set(key, choices.category);
        setItems((current) => [...current, { key, fileName: file.name, size: file.size, progress, error: null, category: choices.category }]);
        start(key, file, choices);
      }
    },
    [user, start],
  );

  /** Uploads a failed item's file again, from the start (the failed attempt's upload is swept by the server). */
  const retry = useCallback(
    (key: number) => {
      const source = sources.current.get(key);
      if (!source) return;
      setItems((current) =>
        current.map((item) => (item.key === key ? { ...item, error: null, progress: { phase: 'queued', encryptedBytes: 0, uploadedBytes: 0, totalBytes: source.file.size } } : item)),
      );
      start(key, source.file, source.choices);
    },
    [start],
  );

  const cancel = useCallback(
    (key: number) => {
      controllers.current.get(key)?.abort();
      setItems((current) => current.map((item) => (item.key === key && item.progress.phase === 'queued' ? { ...item, progress: { ...item.progress, phase: 'cancelled' } } : item)));
    },
    [],
  );

  const setCategory = useCallback(
    (key: number, category: RecordCategory) => {
      categories.current.set(key, category);
      update(key, { category });
    },
    [update],
  );

  const clearFinished = useCallback(() => {
    setItems((current) =>
      current.filter((item) => {
        const isFinished = ['done', 'failed', 'cancelled'].includes(item.progress.phase);
        if (isFinished) sources.current.delete(item.key);
        return !isFinished;
      }),
    );
  }, []);

  return { items, add, cancel, retry, setCategory, clearFinished };
}

function metadataFor(file: File, choices: UploadChoices): RecordMetadata {
  return {
    fileName: file.name,
    // The schema takes `type/subtype` only; anything else is stored as unknown.
    mimeType: isMediaType(file.type) ? file.type : 'application/octet-stream',
    title: file.name.replace(/\.[^.]+$/, '') || file.name,
    date: choices.date,
    category: choices.category,
    notes: '',
  };
}
