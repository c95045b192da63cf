/**
 * The module-boundary rules of the API (infra/eslint/module-boundaries.js,
 * issue 13): each refuses what it names and passes what it allows, and the
 * list of known violations in infra/eslint/backend-layers.js only shrinks
 * (an entry that no longer matches a violation fails here, so it is removed).
 */
import { describe, expect, it } from '@jest/globals';
import { ESLint, RuleTester } from 'eslint';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';
import { BACKEND_LAYERS, KNOWN_VIOLATIONS } from '../eslint/backend-layers.js';
import moduleBoundaries, { folderOf, rules } from '../eslint/module-boundaries.js';

RuleTester.describe = describe;
RuleTester.it = it;
const ruleTester = new RuleTester({ languageOptions: { parser: tseslint.parser } });
const src = (file: string) => `/repo/backend/src/${file}`;

ruleTester.run('data-access-in-repositories', rules['data-access-in-repositories'], {
  valid: [
    { filename: src('users/users.repository.ts'), code: "import { In } from 'typeorm';\nexport const find = (db: Db) => db.manager().query('SELECT 1');" },
    { filename: src('users/user.entity.ts'), code: "import { Entity } from 'typeorm';" },
    { filename: src('db/db.service.ts'), code: "import type { EntityManager } from 'typeorm';" },
    { filename: src('users/users.service.ts'), code: 'export const me = (users: UsersRepository) => users.find(id);' },
    { filename: src('auth/auth.service.ts'), code: 'this.db.manager().query(sql);', options: [{ knownViolations: ['backend/src/auth/auth.service.ts'] }] },
    { filename: '/repo/infra/local/postgres.ts', code: "import { DataSource } from 'typeorm';" },
  ],
  invalid: [
    { filename: src('users/users.service.ts'), code: "import { In } from 'typeorm';", errors: [{ messageId: 'typeorm' }] },
    { filename: src('users/users.service.ts'), code: "import type { EntityManager } from 'typeorm';", errors: [{ messageId: 'typeorm' }] },
    { filename: src('users/users.service.ts'), code: "this.db.manager().query('SELECT 1');", errors: [{ messageId: 'manager' }] },
    { filename: src('rate-limit/rate-limiter.service.ts'), code: "this.db.queryAlone('SELECT 1', []);", errors: [{ messageId: 'manager' }] },
  ],
});

ruleTester.run('no-foreign-entities-or-dtos', rules['no-foreign-entities-or-dtos'], {
  valid: [
    { filename: src('users/users.service.ts'), code: "import { UserEntity } from './user.entity.js';" },
    { filename: src('records/records.service.ts'), code: "import { RecordEntity } from './entities/record.entity.js';\nimport { RecordsDto } from './dto/records.dto.js';" },
    { filename: src('account/account-erasure.service.ts'), code: "import { UsersRepository, type UserRow } from '../users/users.repository.js';" },
    { filename: src('db/entities.ts'), code: "import { UserEntity } from '../users/user.entity.js';", options: [{ exempt: ['backend/src/db/entities.ts'] }] },
  ],
  invalid: [
    { filename: src('account/account-erasure.service.ts'), code: "import { UserEntity } from '../users/user.entity.js';", errors: [{ messageId: 'foreign' }] },
    { filename: src('folders/folders.service.ts'), code: "import { RecordEntity } from '../records/entities/record.entity.js';", errors: [{ messageId: 'foreign' }] },
    { filename: src('users/users.controller.ts'), code: "import { MeDto } from '../auth/dto/session.dto.js';", errors: [{ messageId: 'foreign' }] },
    { filename: src('users/users.controller.ts'), code: "export { MeDto } from '../auth/dto/session.dto.js';", errors: [{ messageId: 'foreign' }] },
  ],
});

const layers = [['common'], ['db'], ['users'], ['records', 'folders'], ['.']];
ruleTester.run('no-upward-imports', rules['no-upward-imports'], {
  valid: [
    { filename: src('records/records.service.ts'), code: "import { Db } from '../db/db.service.js';\nimport { UsersRepository } from '../users/users.repository.js';", options: [{ layers }] },
    { filename: src('records/records.service.ts'), code: "import { FoldersService } from '../folders/folders.service.js';\nimport { x } from './x.js';\nimport { Injectable } from '@nestjs/common';", options: [{ layers }] },
    { filename: src('app.module.ts'), code: "import { RecordsModule } from './records/records.module.js';", options: [{ layers }] },
    { filename: src('db/migrations/1.ts'), code: "import { x } from '../../users/x.js';", options: [{ layers, exempt: ['backend/src/db/migrations/'] }] },
    { filename: src('db/transaction.interceptor.ts'), code: "import { x } from '../users/x.js';", options: [{ layers, knownViolations: ['backend/src/db/transaction.interceptor.ts -> backend/src/users/x.ts'] }] },
  ],
  invalid: [
    { filename: src('users/users.service.ts'), code: "import { RecordsService } from '../records/records.service.js';", options: [{ layers }], errors: [{ messageId: 'upward' }] },
    { filename: src('common/x.ts'), code: "const { Db } = await import('../db/db.service.js');", options: [{ layers }], errors: [{ messageId: 'upward' }] },
    { filename: src('users/users.module.ts'), code: "import { AppModule } from '../app.module.js';", options: [{ layers }], errors: [{ messageId: 'upward' }] },
    { filename: src('jobs/sweeper.ts'), code: "import { Db } from '../db/db.service.js';", options: [{ layers }], errors: [{ messageId: 'unplaced' }] },
    { filename: src('users/users.service.ts'), code: "import { x } from '../jobs/x.js';", options: [{ layers }], errors: [{ messageId: 'unplaced' }] },
  ],
});

describe('the layer order and the known violations (infra/eslint/backend-layers.js)', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

  it('places each folder once', () => {
    const folders = BACKEND_LAYERS.flat();
    expect(folders.filter((folder, index) => folders.indexOf(folder) !== index)).toEqual([]);
  });

  it('lists only violations that are still there: a fixed one leaves the list', async () => {
    const eslint = new ESLint({
      cwd: root,
      overrideConfigFile: true,
      overrideConfig: [
        { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
        {
          files: ['backend/src/**/*.ts'],
          plugins: { 'module-boundaries': moduleBoundaries },
          rules: {
            'module-boundaries/data-access-in-repositories': 'error',
            'module-boundaries/no-foreign-entities-or-dtos': ['error', { exempt: ['backend/src/db/entities.ts'] }],
            'module-boundaries/no-upward-imports': ['error', { layers: BACKEND_LAYERS, exempt: ['backend/src/db/migrations/', 'backend/src/db/entities.ts'] }],
          },
        },
      ],
    });
    const listed = Object.entries(KNOWN_VIOLATIONS).flatMap(([rule, entries]) => entries.map((entry) => ({ rule, entry, file: entry.split(' -> ')[0] })));
    const files = [...new Set(listed.map((item) => item.file))];
    // lintFiles([]) would lint the whole repository.
    const results = files.length ? await eslint.lintFiles(files) : [];
    const found = new Set(
      results.flatMap((result) =>
        result.messages.map((message) => {
          const file = path.relative(root, result.filePath).split(path.sep).join('/');
          const imported = /may not import (backend\/src\/\S+?\.ts)/.exec(message.message)?.[1];
          return message.ruleId === 'module-boundaries/data-access-in-repositories' ? `${message.ruleId} ${file}` : `${message.ruleId} ${file} -> ${imported}`;
        }),
      ),
    );
    expect(listed.filter((item) => !found.has(`module-boundaries/${item.rule} ${item.entry}`)).map((item) => `${item.rule}: ${item.entry}`)).toEqual([]);
  });

  it('names the folder of a file directly in backend/src', () => {
    expect(folderOf('backend/src/app.module.ts')).toBe('.');
    expect(folderOf('backend/src/users/dto/x.ts')).toBe('users');
  });
});
