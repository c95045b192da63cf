/**
 * What the SQL snapshot (infra/test/repository-sql.spec.ts) records of a
 * repository file: per method of each class, its data access, read with the
 * TypeScript compiler API (no database, nothing runs):
 * - every call chain that reaches the database: one with a link named in
 *   DATABASE_CALLS (`.query(`, `queryAlone`, `createQueryBuilder`,
 *   `getRepository`, `.manager(`), or rooted in a local variable or a
 *   method of the same class that holds one (`const manager = this.db.manager()`,
 *   `private users() { return ...getRepository(UserEntity) }`); recorded from
 *   the first such link, with its arguments (SQL, parameters, TypeORM's
 *   where/lock/select options), type arguments left out;
 * - every other string or template literal of the method (SQL built in
 *   pieces: `where.push('c.status = $1')`, `const sql = \`SELECT ...\``);
 * and the file's top-level constants built from literals (column lists,
 * tables of function names). Whitespace runs count as one space, so
 * re-indenting SQL changes nothing; any other change to it does.
 */
import ts from 'typescript';

/** Links of a call chain that reach the database. */
const DATABASE_CALLS = new Set(['query', 'queryAlone', 'createQueryBuilder', 'getRepository', 'manager']);

export interface RepositorySql {
  /** Top-level constants built from literals, as written. */
  constants: Record<string, string>;
  /** `Class.method` (or `function()` for a top-level function) → its data access, in source order. */
  methods: Record<string, string[]>;
}

export function repositorySql(fileName: string, source: string): RepositorySql {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const result: RepositorySql = { constants: {}, methods: {} };
  for (const statement of file.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.initializer && containsLiteral(declaration.initializer)) {
          result.constants[declaration.name.text] = normalise(declaration.initializer.getText(file));
        }
      }
    }
    if (ts.isFunctionDeclaration(statement) && statement.name && statement.body) {
      result.methods[`${statement.name.text}()`] = accessOf(statement.body, new Set(), file);
    }
    if (ts.isClassDeclaration(statement) && statement.name) {
      const methods = statement.members.filter((member): member is ts.MethodDeclaration => ts.isMethodDeclaration(member) && member.body !== undefined);
      const helpers = new Set(methods.filter((method) => reachesDatabase(method.body as ts.Block, new Set(), new Set())).map((method) => method.name.getText(file)));
      for (const method of methods) {
        result.methods[`${statement.name.text}.${method.name.getText(file)}`] = accessOf(method.body as ts.Block, helpers, file);
      }
    }
  }
  return result;
}

function accessOf(body: ts.Block, helpers: Set<string>, file: ts.SourceFile): string[] {
  const entries: string[] = [];
  const locals = new Set<string>();
  const visit = (node: ts.Node): void => {
    // A local that holds a handle (a manager, a repository, a query builder); an awaited result is a row, not a handle.
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && !ts.isAwaitExpression(node.initializer) && reachesDatabase(node.initializer, helpers, locals)) {
      locals.add(node.name.text);
      // A bare handle (`this.db.manager()`) is no access in itself: what the method does with it is recorded where it is used.
      if (ts.isCallExpression(node.initializer) && chainOf(node.initializer).every((link) => link.call === null || link.call.arguments.length === 0)) return;
    }
    if (ts.isCallExpression(node) && isOutermostCall(node)) {
      const links = chainOf(node);
      const first = links.findIndex((link) => isDatabaseLink(link, helpers, locals));
      if (first >= 0) {
        entries.push(links.slice(first).map((link) => renderLink(link, file)).join('.'));
        return;
      }
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) {
      entries.push(normalise(node.getText(file)));
      return;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return entries;
}

/** A link of a call chain: a call of a named member or function, or the identifier the chain starts from. */
type Link = { name: string; call: ts.CallExpression | null };

/** `a.b().c(x).d(y)` → [a, b(), c(x), d(y)]; property reads without a call are kept as links without arguments. */
function chainOf(node: ts.Expression): Link[] {
  if (ts.isCallExpression(node)) {
    const callee = node.expression;
    if (ts.isPropertyAccessExpression(callee)) return [...chainOf(callee.expression), { name: callee.name.text, call: node }];
    if (ts.isIdentifier(callee)) return [{ name: callee.text, call: node }];
    return [{ name: '(call)', call: node }];
  }
  if (ts.isPropertyAccessExpression(node)) return [...chainOf(node.expression), { name: node.name.text, call: null }];
  if (ts.isIdentifier(node)) return [{ name: node.text, call: null }];
  if (node.kind === ts.SyntaxKind.ThisKeyword) return [{ name: 'this', call: null }];
  if (ts.isParenthesizedExpression(node) || ts.isAwaitExpression(node) || ts.isNonNullExpression(node)) return chainOf(node.expression);
  return [{ name: '(expression)', call: null }];
}

function isDatabaseLink(link: Link, helpers: Set<string>, locals: Set<string>): boolean {
  if (link.call === null) return locals.has(link.name);
  return DATABASE_CALLS.has(link.name) || helpers.has(link.name);
}

/** Whether anything under `node` calls the database (a DATABASE_CALLS link, a helper that does, a local that holds one). */
function reachesDatabase(node: ts.Node, helpers: Set<string>, locals: Set<string>): boolean {
  let found = false;
  const visit = (child: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(child) && chainOf(child).some((link) => isDatabaseLink(link, helpers, locals))) {
      found = true;
      return;
    }
    ts.forEachChild(child, visit);
  };
  visit(node);
  return found;
}

/** A call that is not itself the receiver of a longer chain (`x.a().b()` is recorded once, as a whole). */
function isOutermostCall(node: ts.CallExpression): boolean {
  let parent = node.parent;
  while (ts.isNonNullExpression(parent) || ts.isParenthesizedExpression(parent)) parent = parent.parent;
  return !(ts.isPropertyAccessExpression(parent) && ts.isCallExpression(parent.parent) && parent.parent.expression === parent);
}

function renderLink(link: Link, file: ts.SourceFile): string {
  if (link.call === null) return link.name;
  return `${link.name}(${link.call.arguments.map((argument) => normalise(argument.getText(file))).join(', ')})`;
}

function containsLiteral(node: ts.Node): boolean {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) return true;
  return ts.forEachChild(node, (child) => (containsLiteral(child) ? true : undefined)) ?? false;
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
