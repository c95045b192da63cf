// ESLint for every workspace, run by `npm test` as `npm run lint` (zero warnings allowed).
// Base: @eslint/js recommended, typescript-eslint recommended with type information,
// eslint-plugin-security, eslint-plugin-no-unsanitized and eslint-plugin-sonarjs
// (SonarSource's JS/TS rules) recommended. Every rule
// switched off or narrowed below says why; anything else a rule flags is fixed in the
// code or carries an inline `eslint-disable-next-line` with its reason.
import js from '@eslint/js';
import noUnsanitized from 'eslint-plugin-no-unsanitized';
import security from 'eslint-plugin-security';
import sonarjs from 'eslint-plugin-sonarjs';
import tseslint from 'typescript-eslint';
import { BACKEND_LAYERS, KNOWN_VIOLATIONS } from './infra/eslint/backend-layers.js';
import moduleBoundaries from './infra/eslint/module-boundaries.js';

/** Node's globals for the few plain JavaScript files (Jest setup and reporter). */
const NODE_GLOBALS = {
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
};

/** Test and tooling code: it runs on this machine against data the test itself made. */
const TEST_FILES = ['**/*.spec.ts', 'frontend/src/crypto/vectors/**', 'backend/test/**', 'api-client/test/**', 'frontend/e2e/**', 'infra/test/**', 'infra/bench/**', 'infra/scan/**'];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'backend/.test-dist/**',
      'backend/.soak-dist/**',
      '**/coverage/**',
      '**/test-results/**',
      '**/.data/**',
      '**/.test-data/**',
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  security.configs.recommended,
  noUnsanitized.configs.recommended,
  sonarjs.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked with the types of the tsconfig.json nearest to it; the
        // two root files (this config, jest.config.ts) belong to no workspace.
        projectService: { allowDefaultProject: ['eslint.config.js', 'jest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Flags every `object[key]`, including lookups whose key TypeScript already limits
      // to a union of literal names, array indices and Map-like records: hundreds of
      // false positives. Request bodies reach code only through DTO validation (unknown
      // fields refused); the S3 proxy reads headers from Node's `headersDistinct`, which has
      // no prototype; the vault's method table is guarded by Object.hasOwn.
      'security/detect-object-injection': 'off',
      // Flags destructuring a member declared with method syntax (`end(): void`) from our
      // own hooks and props; those members are closures, not methods that use `this`.
      '@typescript-eslint/unbound-method': 'off',
      // Methods of the vault's worker protocol and Nest hooks are async by contract even
      // when one implementation has nothing to wait for; a missing `await` is caught by
      // no-floating-promises, which stays on.
      '@typescript-eslint/require-await': 'off',
      // A leading underscore marks a parameter an interface requires but this code does
      // not use, or a property dropped from a rest copy (`const { hash: _hash, ...row }`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Every random value (keys, IVs, ids, tokens, test data) comes from a CSPRNG:
      // crypto.getRandomValues / randomUUID / randomBytes, or fast-check's seeded generator
      // in tests (ASVS 6.3.1).
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use crypto.getRandomValues, crypto.randomUUID or crypto.randomBytes.' },
        // A refetch of the portal must not hand back a fetch begun before the change (frontend/src/api/invalidate.ts).
        { object: 'queryClient', property: 'invalidateQueries', message: 'Use invalidateAfter or refetchAfterChange (frontend/src/api/invalidate.ts).' },
      ],
      // eslint-plugin-sonarjs (docs/security/testing-report.md, "Static analysis: eslint-plugin-sonarjs"):
      // Style rules whose rewrite of 52, 52 and 54 places would only reshape working code.
      'sonarjs/no-nested-conditional': 'off', // nested ternaries in JSX are this code base's way to render a state
      'sonarjs/no-nested-template-literals': 'off', // messages and class names built inline read better than temporaries
      'sonarjs/prefer-read-only-props': 'off', // React props are frozen at run time; Readonly<> on each would change no behaviour
      // Functions above 15 that each do one protocol step; splitting them is a refactor of its own, not a lint fix.
      'sonarjs/cognitive-complexity': 'off',
      // Duplicates @typescript-eslint/no-unused-vars, which stays on and allows `_`-named drops from a rest copy.
      'sonarjs/no-unused-vars': 'off',
      // Every default sort here orders ids, route names or keys for a stable comparison: code-unit order is the intent.
      'sonarjs/no-alphabetical-sort': 'off',
      // `void promise` is how this code marks a promise it does not await on purpose (no-floating-promises stays on).
      'sonarjs/void-use': 'off',
      // Uuid, Base64Url, IsoDateTime and NoBody are aliases that document what a string or undefined holds.
      'sonarjs/redundant-type-aliases': 'off',
      // Reads declared types that omit the undefined of an index access (noUncheckedIndexedAccess is off): its 4 findings were checks that do fire.
      'sonarjs/different-types-comparison': 'off',
    },
  },
  {
    // Plain JavaScript: Jest's global setup, teardown and reporter, and this file.
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    // Jest loads reporters with require(), so the reporter is CommonJS.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...NODE_GLOBALS, require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: TEST_FILES,
    rules: {
      // Tests and benchmarks read and write files they created themselves in temporary
      // folders or the repository; no path comes from a request.
      'security/detect-non-literal-fs-filename': 'off',
      // Their regular expressions check values the test produced (fingerprints, recovery
      // codes, URLs of the local stack), never input from an attacker, so ReDoS is moot.
      'security/detect-unsafe-regex': 'off',
      'sonarjs/super-linear-regex': 'off',
      // They start this machine's own tools (openssl, chromium, wapiti, ss) and talk to the local stack over loopback http,
      // in temporary folders they made, with throwaway passwords of throwaway databases.
      'sonarjs/no-os-command-from-path': 'off',
      'sonarjs/no-clear-text-protocols': 'off',
      'sonarjs/publicly-writable-directories': 'off',
      'sonarjs/no-hardcoded-passwords': 'off',
      // Addresses in tests are examples (documentation ranges, unique-local IPv6) a parser is fed, never contacted.
      'sonarjs/no-hardcoded-ip': 'off',
      // Tests assert through helpers (textOf, countOf, waitFor, expectRefused…) this rule cannot follow.
      'sonarjs/assertions-in-tests': 'off',
      // Tests sort arrays they just made (map, filter, Object.keys) and use them once: sorting in place is harmless.
      'sonarjs/no-misleading-array-reverse': 'off',
    },
  },
  {
    // Ids are lower-cased where they enter (backend/src/common/ids.ts: IsId, uuidParam), so
    // a UUID in upper case is the same id everywhere, audit hashes included (issue 12).
    files: ['backend/src/**/*.ts'],
    ignores: ['backend/src/common/ids.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'class-validator', importNames: ['IsUUID'], message: 'Use IsId from common/ids.ts: it also lower-cases the id.' },
            { name: '@nestjs/common', importNames: ['ParseUUIDPipe'], message: 'Use uuidParam from common/ids.ts: it also lower-cases the id.' },
          ],
        },
      ],
    },
  },
  {
    // The portal's query keys come from the factories of its API modules (frontend/src/api/*.ts:
    // recordKeys, folderKeys, consentKeys, …), whose keys nest under each area's `all`, so an
    // invalidation reaches every query it means to, and what a change makes stale is listed once
    // (api/invalidate.ts). A key written in place is a key no invalidation knows of.
    files: ['frontend/src/**/*.ts', 'frontend/src/**/*.tsx'],
    ignores: ['frontend/src/api/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "Property[key.name='queryKey']:not([value.type='CallExpression']):not([value.type='MemberExpression'])",
          message: 'Take the query key from its area\'s factory in frontend/src/api (e.g. recordKeys.list(filter), consentKeys.all); after a change, call invalidateAfter(queryClient, change).',
        },
        {
          selector: "CallExpression[callee.property.name=/^(getQueryData|setQueryData|setQueriesData|getQueriesData)$/] > ArrayExpression",
          message: 'Take the query key from its area\'s factory in frontend/src/api (e.g. recordKeys.detail(recordId)).',
        },
      ],
    },
  },
  {
    // The `npm start` orchestrator, local PostgreSQL and the local mail catcher keep their
    // data under the one data folder the operator chose at start (DATA_DIR / .data), or a
    // test's temporary folder; paths are built from it and the server's own file names.
    files: ['infra/local/local-secrets.ts', 'infra/local/postgres.ts', 'infra/local/mail/*.ts'],
    rules: { 'security/detect-non-literal-fs-filename': 'off' },
  },
  {
    // Its tests come from describeS3Contract (infra/test/support/s3-contract.ts), which the rule cannot see.
    files: ['infra/test/rgw/object-store.spec.ts'],
    rules: { 'sonarjs/no-empty-test-file': 'off' },
  },
  {
    // FHIR names its code systems with fixed http:// URIs (http://hl7.org/fhir/…, http://terminology.hl7.org/…):
    // identifiers the standard mandates, never fetched.
    files: ['backend/src/fhir/**/*.ts'],
    rules: { 'sonarjs/no-clear-text-protocols': 'off' },
  },
  {
    // Module boundaries of the API (issue 13; infra/eslint/module-boundaries.js, tested by
    // infra/test/module-boundaries.spec.ts). Known violations still to be removed are listed,
    // file by file, in infra/eslint/backend-layers.js.
    files: ['backend/src/**/*.ts'],
    plugins: { 'module-boundaries': moduleBoundaries },
    rules: {
      // Services hold rules, repositories hold SQL: a reader finds all the SQL on a table in its
      // repository (and in the SQL snapshot, infra/test/repository-sql.spec.ts), and no service
      // reaches the database past the one door that sets the RLS actor (Db, backend/src/db).
      'module-boundaries/data-access-in-repositories': ['error', { knownViolations: KNOWN_VIOLATIONS['data-access-in-repositories'] }],
      // A table has one owner: another module reads it through the owner's repository (plain row
      // types) or service, never through its entity; a DTO is one route's HTTP shape, not a type
      // to share. db/entities.ts registers every entity with TypeORM, so it imports them all.
      'module-boundaries/no-foreign-entities-or-dtos': [
        'error',
        { exempt: ['backend/src/db/entities.ts'], knownViolations: KNOWN_VIOLATIONS['no-foreign-entities-or-dtos'] },
      ],
      // No import loops between modules: each folder imports only its own layer or lower ones
      // (BACKEND_LAYERS), so the modules read bottom-up. Migrations are frozen history (one uses a
      // pure helper of its time) and db/entities.ts is the entity registry.
      'module-boundaries/no-upward-imports': [
        'error',
        { layers: BACKEND_LAYERS, exempt: ['backend/src/db/migrations/', 'backend/src/db/entities.ts'], knownViolations: KNOWN_VIOLATIONS['no-upward-imports'] },
      ],
    },
  },
);
