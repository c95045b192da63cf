/**
 * The SQL snapshot (issue 13): every `backend/src/**\/*.repository.ts` file's
 * data access, method by method (support/repository-sql.ts), against the
 * committed snapshot in __snapshots__/repository-sql.spec.ts.snap. A changed
 * query fails here until the snapshot is updated (`-u`), so the change shows
 * up in review as a diff of the .snap file. A repository file without a
 * committed entry fails too (Jest alone would write it and pass), and so
 * does an entry whose file is gone.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repositorySql } from './support/repository-sql.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SNAPSHOT_FILE = path.join(root, 'infra/test/__snapshots__/repository-sql.spec.ts.snap');
const NAME_PREFIX = 'data access of ';

const repositoryFiles = readdirSync(path.join(root, 'backend/src'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.repository.ts'))
  .map((file) => path.posix.join('backend/src', file.split(path.sep).join('/')))
  .sort();

/** The test names the committed snapshot file holds, read before this run writes anything. */
function committedNames(): string[] {
  let text: string;
  try {
    text = readFileSync(SNAPSHOT_FILE, 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/^exports\[`(.+) \d+`\]/gm)].map((match) => match[1].replace(/\\`/g, '`'));
}
const committed = committedNames();

/** Whether this run rewrites snapshots (`-u`); jest-snapshot keeps the mode in a field it does not type. */
function isUpdatingSnapshots(): boolean {
  const state = expect.getState() as { snapshotState?: { _updateSnapshot?: string } };
  return state.snapshotState?._updateSnapshot === 'all';
}

describe('repository SQL', () => {
  it('finds the repository files', () => {
    expect(repositoryFiles).toContain('backend/src/users/users.repository.ts');
    expect(repositoryFiles).toContain('backend/src/audit/audit-events.repository.ts');
  });

  it('has a committed snapshot entry for every repository file and none for a file that is gone (new files: run with -u)', () => {
    if (isUpdatingSnapshots()) return;
    const expected = repositoryFiles.map((file) => `repository SQL ${NAME_PREFIX}${file}`);
    expect({ missing: expected.filter((name) => !committed.includes(name)), gone: committed.filter((name) => name.startsWith('repository SQL data access') && !expected.includes(name)) }).toEqual({
      missing: [],
      gone: [],
    });
  });

  it.each(repositoryFiles)(`${NAME_PREFIX}%s`, (file) => {
    const access = repositorySql(file, readFileSync(path.join(root, file), 'utf8'));
    expect(Object.values(access.methods).some((entries) => entries.length > 0)).toBe(true);
    expect(access).toMatchSnapshot();
  });
});

describe('the extraction', () => {
  const source = `
    const COLUMNS = 'id, name';
    @Injectable()
    export class ThingsRepository {
      constructor(private readonly db: Db) {}
      async find(id: string): Promise<Thing | null> {
        const [row] = await this.db.manager().query<Thing[]>(\`SELECT \${COLUMNS}
            FROM things WHERE id = $1\`, [id]);
        return row ?? null;
      }
      async page(status: string | undefined, limit: number): Promise<Thing[]> {
        const where: string[] = [];
        if (status) where.push('status = $1');
        const builder = this.things().createQueryBuilder('t').where(where.join(' AND '));
        return builder.orderBy('t.id').limit(limit).getMany();
      }
      async rename(id: string, name: string): Promise<void> {
        const manager = this.db.manager();
        const rows = await manager.query('SELECT id FROM things');
        rows.map((row) => row.id);
        await manager.getRepository(ThingEntity).update({ id }, { name });
        const ids = [id].map((value) => value.toLowerCase());
        await this.things().findOne({ where: { id: ids[0] }, lock: { mode: 'pessimistic_write' } });
      }
      private things() {
        return this.db.manager().getRepository(ThingEntity);
      }
    }`;

  it('records SQL literals, query calls, query-builder chains and TypeORM calls, method by method', () => {
    expect(repositorySql('things.repository.ts', source)).toEqual({
      constants: { COLUMNS: "'id, name'" },
      methods: {
        'ThingsRepository.find': ['manager().query(`SELECT ${COLUMNS} FROM things WHERE id = $1`, [id])'],
        'ThingsRepository.page': [
          "'status = $1'",
          "things().createQueryBuilder('t').where(where.join(' AND '))",
          "builder.orderBy('t.id').limit(limit).getMany()",
        ],
        'ThingsRepository.rename': [
          "manager.query('SELECT id FROM things')",
          'manager.getRepository(ThingEntity).update({ id }, { name })',
          "things().findOne({ where: { id: ids[0] }, lock: { mode: 'pessimistic_write' } })",
        ],
        'ThingsRepository.things': ['manager().getRepository(ThingEntity)'],
      },
    });
  });

  it('sees a changed query, and not a re-indented one', () => {
    const changed = repositorySql('things.repository.ts', source.replace('WHERE id = $1', () => 'WHERE id = $1 OR true'));
    const reindented = repositorySql('things.repository.ts', source.replace('\n            FROM things', '\n FROM things'));
    const original = repositorySql('things.repository.ts', source);
    expect(changed).not.toEqual(original);
    expect(reindented).toEqual(original);
  });
});
