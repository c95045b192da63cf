/**
 * No import loops between the API's modules (issue 13). The layer rule
 * (module-boundaries/no-upward-imports) forbids arrows to a higher layer but
 * allows them inside a layer, where two folders could still import each
 * other; this test reads the whole folder graph and fails on any cycle,
 * naming one import of each arrow in it.
 */
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCycles, moduleEdges } from './support/module-graph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the import graph of backend/src folders', () => {
  it('finds a cycle when there is one, and none in a chain', () => {
    expect(importCycles([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }])).toEqual([]);
    expect(importCycles([{ from: 'records', to: 'consents' }, { from: 'consents', to: 'records' }])).toEqual([['consents', 'records']]);
    expect(
      importCycles([
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'c', to: 'a' },
        { from: 'c', to: 'd' },
        { from: 'd', to: 'e' },
        { from: 'e', to: 'd' },
      ]),
    ).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('reads the real graph (the request pipeline imports the modules it wires)', () => {
    const edges = moduleEdges(root);
    expect(edges).toEqual(expect.arrayContaining([expect.objectContaining({ from: '.', to: 'records' }), expect.objectContaining({ from: 'records', to: 'db' })]));
  });

  it('has no cycles', () => {
    const edges = moduleEdges(root);
    const cycles = importCycles(edges).map((members) =>
      edges.filter((edge) => members.includes(edge.from) && members.includes(edge.to)).map((edge) => edge.example),
    );
    expect(cycles).toEqual([]);
  });
});
