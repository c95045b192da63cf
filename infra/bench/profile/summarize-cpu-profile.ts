/**
 * Summarises a V8 .cpuprofile (written by cpu-profile-preload.mjs or `node --cpu-prof`):
 * the functions with the most self time, the packages (node_modules folder, or the
 * product's own code, or native/GC) by self time, and the call tree's heaviest paths
 * by total time, down to `--depth` levels. Usage:
 *   node --import tsx infra/bench/profile/summarize-cpu-profile.ts <file> [--top 40] [--depth 14] [--min 1] [--drop writev,writeBuffer]
 *
 * V8 samples wall time: a thread preempted inside a syscall (on a loaded machine, a socket write
 * that wakes PostgreSQL) counts as busy there. `--drop` leaves out the samples whose leaf is one
 * of the named functions, as an approximation of time on the CPU.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const file = args[0];
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const dropAt = args.indexOf('--drop');
const dropped = new Set(dropAt >= 0 ? args[dropAt + 1].split(',') : []);
const selfMicros = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  if (dropped.has(byId.get(profile.samples[i])?.callFrame.functionName ?? '')) continue;
  selfMicros.set(profile.samples[i], (selfMicros.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const totalMicros = profile.endTime - profile.startTime;
const idle = [...byId.values()].filter((node) => node.callFrame.functionName === '(idle)').reduce((sum, node) => sum + (selfMicros.get(node.id) ?? 0), 0);
const droppedMicros = profile.samples.reduce((sum, id, i) => sum + (dropped.has(byId.get(id)?.callFrame.functionName ?? '') ? (profile.timeDeltas[i] ?? 0) : 0), 0);
const busy = totalMicros - idle - droppedMicros;

const label = (frame: CallFrame) => `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const dist = url.indexOf('/backend/');
  return dist >= 0 ? url.slice(dist + 1) : url;
}
function packageOf(frame: CallFrame): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (frame.url.startsWith('node:')) return 'node:' + frame.url.slice(5).split('/')[0];
  const modules = frame.url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = frame.url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const backend = /backend\/(?:dist|src)\/([^/]+)/.exec(frame.url);
  return backend ? `backend/${backend[1]}` : frame.url;
}
const ms = (micros: number) => (micros / 1000).toFixed(0).padStart(7);
const pct = (micros: number) => ((100 * micros) / busy).toFixed(1).padStart(5) + '%';

console.log(`${file}: ${ms(totalMicros)} ms sampled, ${ms(busy)} ms busy (not idle${dropped.size ? `, ${ms(droppedMicros)} ms in ${[...dropped].join(', ')} left out` : ''})`);

const selfByLabel = new Map<string, number>();
const selfByPackage = new Map<string, number>();
for (const node of profile.nodes) {
  const self = selfMicros.get(node.id) ?? 0;
  if (node.callFrame.functionName === '(idle)') continue;
  selfByLabel.set(label(node.callFrame), (selfByLabel.get(label(node.callFrame)) ?? 0) + self);
  selfByPackage.set(packageOf(node.callFrame), (selfByPackage.get(packageOf(node.callFrame)) ?? 0) + self);
}
const top = (map: Map<string, number>, count: number) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
console.log('\nSelf time by package:');
for (const [name, micros] of top(selfByPackage, option('top', 40))) console.log(`${ms(micros)} ms ${pct(micros)}  ${name}`);
console.log('\nSelf time by function:');
for (const [name, micros] of top(selfByLabel, option('top', 40))) console.log(`${ms(micros)} ms ${pct(micros)}  ${name}`);

// Total (inclusive) time per node, then the tree printed down its heavy branches.
const total = new Map<number, number>();
function totalOf(node: ProfileNode): number {
  const known = total.get(node.id);
  if (known !== undefined) return known;
  const sum = (selfMicros.get(node.id) ?? 0) + (node.children ?? []).reduce((acc, child) => acc + totalOf(byId.get(child) as ProfileNode), 0);
  total.set(node.id, sum);
  return sum;
}
const minPercent = option('min', 1);
const maxDepth = option('depth', 14);
console.log(`\nCall tree by total time (branches ≥ ${minPercent}% of busy time, ${maxDepth} levels):`);
function printTree(node: ProfileNode, depth: number): void {
  const children = (node.children ?? []).map((id) => byId.get(id) as ProfileNode).filter((child) => child.callFrame.functionName !== '(idle)');
  for (const child of children.sort((a, b) => totalOf(b) - totalOf(a))) {
    if ((100 * totalOf(child)) / busy < minPercent) continue;
    console.log(`${ms(totalOf(child))} ms ${pct(totalOf(child))} ${'  '.repeat(depth)}${label(child.callFrame)}`);
    if (depth < maxDepth) printTree(child, depth + 1);
  }
}
printTree(profile.nodes[0], 0);
