import { describe, expect, it } from '@jest/globals';
import { QueryClient, QueryObserver, type QueryKey } from '@tanstack/react-query';
import { auditKeys } from './audit.js';
import { accountKeys } from './auth.js';
import { clinicianKeys } from './clinicians.js';
import { consentKeys } from './consents.js';
import { doctorKeys } from './doctors.js';
import { emergencyKeys } from './emergency.js';
import { folderKeys } from './folders.js';
import { keyRotationKeys } from './key-rotation.js';
import { invalidateAfter, refetchAfterChange, STALE_AFTER, type Change } from './invalidate.js';
import { recordKeys } from './records.js';
import { securityKeyKeys } from './security-keys.js';
import { sessionKeys } from './sessions.js';
import { totpKeys } from './totp.js';
import { trustedContactKeys } from './trusted-contacts.js';

const RECORD_ID = '0b6c3a56-8f6e-4d7a-9a51-3f5b0e1c2d40';
const FOLDER_ID = '5a0e2f1c-7d3b-4c9e-8f61-2b4a6d8c0e13';
const DOCTOR_ID = '9e1d7c3b-2a4f-4e6d-b8c0-1f3a5e7d9b24';

/** Every key a factory makes today, by area: what a query of the portal can be cached under. */
const KEYS_BY_AREA: Record<string, { all: QueryKey; keys: QueryKey[] }> = {
  records: {
    all: recordKeys.all,
    keys: [
      recordKeys.lists(),
      recordKeys.list({}),
      recordKeys.list({ folderId: FOLDER_ID }),
      recordKeys.list({ ownerId: DOCTOR_ID }),
      recordKeys.details(),
      recordKeys.detail(RECORD_ID),
      recordKeys.shareScope('folder', FOLDER_ID),
      recordKeys.allTitles(),
      recordKeys.titles([RECORD_ID]),
    ],
  },
  folders: { all: folderKeys.all, keys: [folderKeys.list(), folderKeys.detail(FOLDER_ID)] },
  consents: { all: consentKeys.all, keys: [consentKeys.lists(), consentKeys.list(null), consentKeys.list('active'), consentKeys.detail(RECORD_ID), consentKeys.folderLabels([RECORD_ID])] },
  doctors: { all: doctorKeys.all, keys: [doctorKeys.search('ca'), doctorKeys.provenKey(DOCTOR_ID, 'rotation'), doctorKeys.provenKey(null, null)] },
  audit: {
    all: auditKeys.all,
    keys: [
      auditKeys.trail({ action: 'record.read' }, 2),
      auditKeys.chain(),
      auditKeys.people({}),
      auditKeys.accounts(),
      auditKeys.accessSummary(),
      auditKeys.notifications(),
      auditKeys.unreadNotifications(),
      auditKeys.notificationSettings(),
      auditKeys.shownNotifications([1, 2]),
    ],
  },
  account: { all: accountKeys.all, keys: [accountKeys.standing(), accountKeys.ownFingerprint()] },
  sessions: { all: sessionKeys.all, keys: [sessionKeys.list()] },
  'security keys': { all: securityKeyKeys.all, keys: [securityKeyKeys.list()] },
  'authenticator app': { all: totpKeys.all, keys: [totpKeys.status()] },
  'key rotation': { all: keyRotationKeys.all, keys: [keyRotationKeys.state(), keyRotationKeys.inVault()] },
  clinicians: { all: clinicianKeys.all, keys: [clinicianKeys.list('pending'), clinicianKeys.list('approved')] },
  'trusted contacts': {
    all: trustedContactKeys.all,
    keys: [trustedContactKeys.list(), trustedContactKeys.candidate('ada@example.org'), trustedContactKeys.provenKey(DOCTOR_ID, 'key'), trustedContactKeys.released(RECORD_ID)],
  },
  emergency: {
    all: emergencyKeys.all,
    keys: [
      emergencyKeys.setup(),
      emergencyKeys.keptHolders(2),
      emergencyKeys.folderNames(),
      emergencyKeys.breaks(),
      emergencyKeys.access(RECORD_ID),
      emergencyKeys.opened(RECORD_ID, 1),
      emergencyKeys.requests(),
      emergencyKeys.clinicianKey(DOCTOR_ID, 'key'),
      emergencyKeys.reviews('pending'),
    ],
  },
};

const EVERY_KEY = Object.values(KEYS_BY_AREA).flatMap(({ keys }) => keys);

/** A client whose cache holds fresh data under every key. */
function filledCache(): QueryClient {
  const client = new QueryClient();
  for (const key of EVERY_KEY) client.setQueryData(key, { cachedUnder: key });
  return client;
}

const invalidated = (client: QueryClient): QueryKey[] => EVERY_KEY.filter((key) => client.getQueryState(key)?.isInvalidated === true);

describe('query-key factories of the portal', () => {
  it.each(Object.entries(KEYS_BY_AREA))('nest every %s key under that area’s `all`', (_, { all, keys }) => {
    for (const key of keys) expect(key.slice(0, all.length)).toEqual(all);
  });

  it('give each area its own root, so one area’s `all` reaches no other area', () => {
    const roots = Object.values(KEYS_BY_AREA).map(({ all }) => JSON.stringify(all));
    expect(new Set(roots).size).toBe(roots.length);
  });

  it('give different filters and ids different keys', () => {
    expect(recordKeys.list({ folderId: FOLDER_ID })).not.toEqual(recordKeys.list({}));
    expect(recordKeys.detail(RECORD_ID)).not.toEqual(recordKeys.detail(FOLDER_ID));
    expect(consentKeys.list('active')).not.toEqual(consentKeys.list(null));
  });

  it.each(Object.entries(KEYS_BY_AREA))('invalidating %s’ `all` marks every one of its cached queries stale, and nothing else', async (_, { all, keys }) => {
    const client = filledCache();
    await client.invalidateQueries({ queryKey: all });
    expect(invalidated(client)).toEqual(keys);
  });

  it('invalidating the records lists leaves a record’s details alone', async () => {
    const client = filledCache();
    await client.invalidateQueries({ queryKey: recordKeys.lists() });
    expect(invalidated(client)).toEqual([recordKeys.lists(), recordKeys.list({}), recordKeys.list({ folderId: FOLDER_ID }), recordKeys.list({ ownerId: DOCTOR_ID })]);
  });
});

describe('what each change makes stale', () => {
  const staleAfter = async (change: Change): Promise<QueryKey[]> => {
    const client = filledCache();
    await invalidateAfter(client, change);
    return invalidated(client);
  };

  it('a deleted record: its lists, the share scopes and the consents that covered it, and the trail', async () => {
    const stale = await staleAfter('recordDeleted');
    expect(stale).toEqual(expect.arrayContaining([recordKeys.list({ folderId: FOLDER_ID }), recordKeys.detail(RECORD_ID), recordKeys.shareScope('folder', FOLDER_ID), consentKeys.list('active'), auditKeys.chain()]));
    expect(stale).not.toContainEqual(folderKeys.list());
  });

  it('a deleted folder: the folders, the records, the consents of that folder and the trail', async () => {
    expect(await staleAfter('folderDeleted')).toEqual(expect.arrayContaining([folderKeys.list(), recordKeys.list({ folderId: FOLDER_ID }), consentKeys.list(null), auditKeys.trail({ action: 'record.read' }, 2)]));
  });

  it('a revoked consent: the shares (every status), the records a doctor sees and the trail', async () => {
    expect(await staleAfter('consentRevoked')).toEqual(
      expect.arrayContaining([consentKeys.list('active'), consentKeys.list(null), recordKeys.list({ ownerId: DOCTOR_ID }), auditKeys.chain()]),
    );
  });

  it('an upload: the record lists, the consents whose scope grew, and the trail', async () => {
    expect(await staleAfter('recordUploaded')).toEqual(expect.arrayContaining([recordKeys.list({}), recordKeys.shareScope('folder', FOLDER_ID), consentKeys.list('active'), auditKeys.chain()]));
  });

  it.each(Object.keys(STALE_AFTER) as Change[])('%s is written to the trail, so the trail is read again', async (change) => {
    expect(await staleAfter(change)).toEqual(expect.arrayContaining([auditKeys.trail({ action: 'record.read' }, 2), auditKeys.chain()]));
  });
});

describe('a refetch after a change', () => {
  it('is a new fetch when the page’s first fetch, begun before the change, is still in flight', async () => {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    let stored = ['issued before'];
    let answerFirstFetch: (() => void) | undefined;
    const fetches: string[][] = [];
    // As the server answers: from the rows as they were when the request reached it.
    const queryFn = (): Promise<string[]> => {
      const seen = [...stored];
      fetches.push(seen);
      return fetches.length === 1 ? new Promise((resolve) => (answerFirstFetch = () => resolve(seen))) : Promise.resolve(seen);
    };
    const observer = new QueryObserver(client, { queryKey: sessionKeys.list(), queryFn });
    const unsubscribe = observer.subscribe(() => undefined);
    try {
      expect(fetches).toEqual([['issued before']]);
      stored = ['issued before', 'issued now'];
      const refetched = refetchAfterChange(client, sessionKeys.all);
      answerFirstFetch?.();
      await refetched;
      expect(client.getQueryData(sessionKeys.list())).toEqual(['issued before', 'issued now']);
      expect(fetches).toHaveLength(2);
    } finally {
      unsubscribe();
      client.clear();
    }
  });
});
