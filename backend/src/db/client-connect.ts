import type pg from 'pg';

/** What pg.Client.connect takes: the pool calls it with a callback, other callers await it. */
export type ConnectCallback = ((error: Error) => void) | ((error: null, client: pg.Client) => void);

/** `connected` as pg.Client.connect answers: to the callback when there is one, else as the promise. */
export function answerConnect(connected: Promise<pg.Client>, callback: ConnectCallback | undefined): Promise<pg.Client> | void {
  if (!callback) return connected;
  connected.then(
    (client) => (callback as (error: null, client: pg.Client) => void)(null, client),
    (error: Error) => (callback as (error: Error) => void)(error),
  );
}
