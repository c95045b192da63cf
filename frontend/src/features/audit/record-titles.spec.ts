import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { RecordMetadata, RecordPage, RecordSummary } from '@phr/shared-types';
import type { OpenedMetadata } from '../../crypto/record-vault.js';
import { recordTitlesOf, type TitleSources } from './record-titles.js';

/**
 * A records API that answers each look-up with the records it holds among the ids asked, plus
 * whatever `extra` a lying server adds, and a vault that opens every record but those in
 * `unopenable` (a title's AAD names its record, so the real one opens nothing else).
 */
function sources(held: string[], { extra = [] as string[], unopenable = new Set<string>() } = {}) {
  const lookups: string[][] = [];
  const summary = (id: string) => ({ id }) as RecordSummary;
  const source: TitleSources = {
    records: {
      list: async ({ ids, limit }): Promise<RecordPage> => {
        const asked = ids.split(',');
        lookups.push(asked);
        expect(limit).toBeGreaterThanOrEqual(asked.length);
        return { items: [...held.filter((id) => asked.includes(id)), ...extra].map(summary), nextCursor: null };
      },
    },
    vault: {
      openRecordMetadata: async (records): Promise<OpenedMetadata[]> =>
        records.map((record) => (unopenable.has(record.id) ? { id: record.id, error: 'does not open' } : { id: record.id, metadata: { title: `title of ${record.id}` } as RecordMetadata })),
    },
  };
  return { source, lookups };
}

const ids = (count: number) => Array.from({ length: count }, () => randomUUID());

describe('record titles looked up by id', () => {
  it('asks for each id once, at most 100 a request, and names those the server holds', async () => {
    const named = ids(150);
    const { source, lookups } = sources(named.slice(0, 140));
    const titles = await recordTitlesOf(source, { id: randomUUID(), role: 'patient' }, [...named, ...named.slice(0, 20)]);
    expect(lookups.map((asked) => asked.length)).toEqual([100, 50]);
    expect(new Set(lookups.flat())).toEqual(new Set(named));
    expect([...titles.keys()].sort()).toEqual(named.slice(0, 140).sort());
    expect(titles.get(named[0])).toBe(`title of ${named[0]}`);
  });

  it('takes the titles already known as they are and asks only for the other ids', async () => {
    const named = ids(130);
    const { source, lookups } = sources(named);
    const known = new Map(named.slice(0, 120).map((id) => [id, `known title of ${id}`]));
    const titles = await recordTitlesOf(source, { id: randomUUID(), role: 'patient' }, named, known);
    expect(lookups).toEqual([[...named.slice(120)].sort()]);
    expect(titles.size).toBe(130);
    expect([titles.get(named[0]), titles.get(named[125])]).toEqual([`known title of ${named[0]}`, `title of ${named[125]}`]);
    // Known titles of records this page does not name stay out.
    const other = randomUUID();
    expect((await recordTitlesOf(source, { id: randomUUID(), role: 'patient' }, named.slice(0, 2), new Map([[other, 'elsewhere'], ...known]))).has(other)).toBe(false);
    expect(lookups).toHaveLength(1);
  });

  it('leaves out a record the server adds unasked, and asks nothing for no ids', async () => {
    const named = ids(3);
    const unasked = randomUUID();
    const { source, lookups } = sources(named, { extra: [unasked] });
    const titles = await recordTitlesOf(source, { id: randomUUID(), role: 'doctor' }, named);
    expect(titles.has(unasked)).toBe(false);
    expect(titles.size).toBe(3);
    await expect(recordTitlesOf(source, { id: randomUUID(), role: 'patient' }, [])).resolves.toEqual(new Map());
    expect(lookups).toHaveLength(1);
  });

  it('says a patient’s record that does not open cannot be opened, and leaves a doctor’s out', async () => {
    const named = ids(2);
    const { source } = sources(named, { unopenable: new Set([named[1]]) });
    expect((await recordTitlesOf(source, { id: randomUUID(), role: 'patient' }, named)).get(named[1])).toBe('a record that cannot be opened');
    expect((await recordTitlesOf(source, { id: randomUUID(), role: 'doctor' }, named)).has(named[1])).toBe(false);
  });
});
