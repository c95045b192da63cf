/**
 * The folder-level import graph of backend/src: which module imports which,
 * read with the TypeScript compiler's own import scanner (static imports,
 * re-exports, dynamic imports with a literal path). The files the layer rule
 * exempts (migrations, the entity registry) are left out for the same reasons.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SOURCE_ROOT = 'backend/src/';
const EXEMPT = ['backend/src/db/migrations/', 'backend/src/db/entities.ts'];

/** An import between two folders, with one file-level example of it. */
export interface ModuleEdge {
  from: string;
  to: string;
  example: string;
}

/** The top folder of a backend source path, `.` for a file directly in backend/src. */
function folderOf(source: string): string {
  const rest = source.slice(SOURCE_ROOT.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '.' : rest.slice(0, slash);
}

/** Every folder-to-folder import arrow of backend/src under `root` (the repository). */
export function moduleEdges(root: string): ModuleEdge[] {
  const files = readdirSync(path.join(root, SOURCE_ROOT), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.posix.join(SOURCE_ROOT, file.split(path.sep).join('/')))
    .filter((file) => !EXEMPT.some((entry) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry)));
  const edges = new Map<string, ModuleEdge>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(path.join(root, file), 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('./') && !fileName.startsWith('../')) continue;
      const imported = path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName)).replace(/\.js$/, '.ts');
      if (!imported.startsWith(SOURCE_ROOT)) continue;
      const [from, to] = [folderOf(file), folderOf(imported)];
      if (from !== to && !edges.has(`${from} ${to}`)) edges.set(`${from} ${to}`, { from, to, example: `${file} -> ${imported}` });
    }
  }
  return [...edges.values()];
}

/** The import cycles among folders: each strongly connected set of two or more (Tarjan), sorted. */
export function importCycles(edges: readonly Pick<ModuleEdge, 'from' | 'to'>[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}
