/**
 * Module boundaries of the API (issue 13, renovation 5), as a local ESLint
 * plugin. eslint.config.js switches each rule on for backend/src and says
 * why; infra/eslint/backend-layers.js holds the layer order and the known
 * violations still to be removed. Only relative imports are resolved: the
 * backend imports its own files by relative path, packages by name.
 */
import path from 'node:path';

const SOURCE_ROOT = 'backend/src/';

/**
 * A file's path from the repository root (`backend/src/users/users.service.ts`),
 * or null outside backend/src.
 * @param {string} file
 * @returns {string | null}
 */
export function sourcePath(file) {
  const normalised = file.split(path.sep).join('/');
  const at = normalised.lastIndexOf(`/${SOURCE_ROOT}`);
  if (at >= 0) return normalised.slice(at + 1);
  return normalised.startsWith(SOURCE_ROOT) ? normalised : null;
}

/**
 * The top folder of a backend source path (`users`), or `.` for a file
 * directly in backend/src (app.module.ts, main.ts, …).
 * @param {string} source
 */
export function folderOf(source) {
  const rest = source.slice(SOURCE_ROOT.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '.' : rest.slice(0, slash);
}

/**
 * The backend source path a relative import names, with `.js` read as the
 * `.ts` file it is compiled from; null for a package or a path outside backend/src.
 * @param {string} importer backend source path of the importing file
 * @param {string} specifier
 */
function importedPath(importer, specifier) {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(importer), specifier));
  if (!resolved.startsWith(SOURCE_ROOT)) return null;
  return resolved.replace(/\.js$/, '.ts');
}

/**
 * Calls `check(node, specifier)` for every static import, re-export and dynamic import with a literal source.
 * @param {(node: any, specifier: string) => void} check
 */
function eachImport(check) {
  /** @param {any} node */
  const visit = (node) => {
    if (node.source && node.source.type === 'Literal' && typeof node.source.value === 'string') check(node, node.source.value);
  };
  return { ImportDeclaration: visit, ExportNamedDeclaration: visit, ExportAllDeclaration: visit, ImportExpression: visit };
}

/**
 * Whether `source` is listed: a path, or a folder ending in `/`.
 * @param {string} source
 * @param {string[] | undefined} list
 */
function isListed(source, list) {
  return (list || []).some((entry) => (entry.endsWith('/') ? source.startsWith(entry) : source === entry));
}

/** @param {any} options */
function knownViolations(options) {
  return new Set((options && options.knownViolations) || []);
}

/** Files that hold SQL and TypeORM by design. */
function isDataAccessFile(/** @type {string} */ source) {
  return (
    source.endsWith('.repository.ts') ||
    source.endsWith('.entity.ts') ||
    source.includes('/entities/') ||
    source.startsWith(`${SOURCE_ROOT}db/`)
  );
}

/** A module's entities and DTOs: the shapes of its tables and of its HTTP bodies. */
function isEntityOrDto(/** @type {string} */ source) {
  return source.endsWith('.entity.ts') || source.includes('/entities/') || source.includes('/dto/');
}

const KNOWN_VIOLATIONS_SCHEMA = {
  type: 'array',
  items: { type: 'string' },
  description: 'Violations tolerated until they are removed: a file path (rule data-access-in-repositories) or `importer -> imported` (the import rules)',
};

/** @type {import('eslint').Rule.RuleModule} */
const dataAccessInRepositories = {
  meta: {
    type: 'problem',
    docs: { description: 'Only repositories, entities, backend/src/db and its migrations import typeorm or reach the database (`.manager(`, `.queryAlone(`)' },
    schema: [{ type: 'object', properties: { knownViolations: KNOWN_VIOLATIONS_SCHEMA }, additionalProperties: false }],
    messages: {
      typeorm: 'Only a *.repository.ts, an entity or backend/src/db imports typeorm: put the query in this module\'s repository.',
      manager: 'Only a *.repository.ts or backend/src/db calls Db.{{name}}(): put the query in this module\'s repository.',
    },
  },
  create(context) {
    const source = sourcePath(context.filename);
    if (source === null || isDataAccessFile(source) || knownViolations(context.options[0]).has(source)) return {};
    return {
      ...eachImport((node, specifier) => {
        if (specifier === 'typeorm' || specifier.startsWith('typeorm/')) context.report({ node, messageId: 'typeorm' });
      }),
      /** @param {any} node */
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type === 'MemberExpression' && !callee.computed && (callee.property.name === 'manager' || callee.property.name === 'queryAlone')) {
          context.report({ node, messageId: 'manager', data: { name: callee.property.name } });
        }
      },
    };
  },
};

/** @type {import('eslint').Rule.RuleModule} */
const noForeignEntitiesOrDtos = {
  meta: {
    type: 'problem',
    docs: { description: 'A module imports no other module\'s entities (*.entity.ts, entities/) or DTOs (dto/)' },
    schema: [{ type: 'object', properties: { exempt: { type: 'array', items: { type: 'string' }, description: 'Files (or folders, ending in /) the rule does not apply to' }, knownViolations: KNOWN_VIOLATIONS_SCHEMA }, additionalProperties: false }],
    messages: {
      foreign: '{{folder}}/ may not import {{imported}}: another module\'s {{kind}}. Use that module\'s repository (plain row types) or service, or a shared type.',
    },
  },
  create(context) {
    const source = sourcePath(context.filename);
    const options = context.options[0] || {};
    if (source === null || isListed(source, options.exempt)) return {};
    const known = knownViolations(options);
    const folder = folderOf(source);
    return eachImport((node, specifier) => {
      const imported = importedPath(source, specifier);
      if (imported === null || !isEntityOrDto(imported) || folderOf(imported) === folder || known.has(`${source} -> ${imported}`)) return;
      context.report({ node, messageId: 'foreign', data: { folder, imported, kind: imported.includes('/dto/') ? 'DTO' : 'entity' } });
    });
  },
};

/** @type {import('eslint').Rule.RuleModule} */
const noUpwardImports = {
  meta: {
    type: 'problem',
    docs: { description: 'A backend/src folder imports only folders of its own layer or below (the layer order of backend-layers.js)' },
    schema: [
      {
        type: 'object',
        properties: {
          layers: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
          exempt: { type: 'array', items: { type: 'string' }, description: 'Files (or folders, ending in /) the rule does not apply to' },
          knownViolations: KNOWN_VIOLATIONS_SCHEMA,
        },
        required: ['layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      upward: '{{folder}}/ (layer {{from}}) may not import {{imported}} ({{target}}/, layer {{to}}): a folder imports only its own layer or lower ones.',
      unplaced: 'backend/src/{{folder}} has no place in the layer order: add it to infra/eslint/backend-layers.js.',
    },
  },
  create(context) {
    const source = sourcePath(context.filename);
    const options = context.options[0];
    if (source === null || isListed(source, options.exempt)) return {};
    /** @type {Map<string, number>} */
    const layerOf = new Map();
    options.layers.forEach((/** @type {string[]} */ folders, /** @type {number} */ index) => folders.forEach((name) => layerOf.set(name, index)));
    const known = knownViolations(options);
    const folder = folderOf(source);
    const from = layerOf.get(folder);
    if (from === undefined) {
      return { Program: (node) => context.report({ node, messageId: 'unplaced', data: { folder } }) };
    }
    return eachImport((node, specifier) => {
      const imported = importedPath(source, specifier);
      if (imported === null) return;
      const target = folderOf(imported);
      const to = layerOf.get(target);
      if (to === undefined) {
        context.report({ node, messageId: 'unplaced', data: { folder: target } });
        return;
      }
      if (to > from && !known.has(`${source} -> ${imported}`)) {
        context.report({ node, messageId: 'upward', data: { folder, from: String(from), imported, target, to: String(to) } });
      }
    });
  },
};

export const rules = {
  'data-access-in-repositories': dataAccessInRepositories,
  'no-foreign-entities-or-dtos': noForeignEntitiesOrDtos,
  'no-upward-imports': noUpwardImports,
};

/** @type {import('eslint').ESLint.Plugin} */
const plugin = { meta: { name: 'module-boundaries' }, rules };

export default plugin;
