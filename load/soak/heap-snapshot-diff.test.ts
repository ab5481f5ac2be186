import { describe, expect, it } from 'vitest'
import {
  buildHeapGraph,
  diffByClass,
  retainersOf,
  totalsByClass,
  type HeapSnapshotJson,
} from './heap-snapshot-diff.ts'

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'synthetic']
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak']

interface TinyNode {
  type: string
  name: string
  size: number
  edges: { type: string; name: string | number; to: number }[]
}

/** Builds a .heapsnapshot JSON by hand, in the field layout V8 writes. */
function snapshotOf(list: TinyNode[]): HeapSnapshotJson {
  const strings: string[] = []
  const stringId = (text: string): number => {
    const found = strings.indexOf(text)
    if (found >= 0) return found
    strings.push(text)
    return strings.length - 1
  }
  const nodeFields = ['type', 'name', 'id', 'self_size', 'edge_count', 'detachedness']
  const nodes: number[] = []
  const edges: number[] = []
  list.forEach((node, index) => {
    nodes.push(
      NODE_TYPES.indexOf(node.type),
      stringId(node.name),
      index * 2 + 1,
      node.size,
      node.edges.length,
      0,
    )
    for (const edge of node.edges) {
      const type = EDGE_TYPES.indexOf(edge.type)
      const nameOrIndex = typeof edge.name === 'number' ? edge.name : stringId(edge.name)
      edges.push(type, nameOrIndex, edge.to * nodeFields.length)
    }
  })
  return {
    snapshot: {
      meta: {
        node_fields: nodeFields,
        node_types: [NODE_TYPES, 'string', 'number', 'number', 'number', 'number'],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [EDGE_TYPES, 'string_or_number', 'node'],
      },
    },
    nodes,
    edges,
    strings,
  }
}

// root ─┬─ Foo#1 (10) ─ Bar (5)
//       │      └──────┐
//       ├─ Foo#2 (10) ─┴─ shared string (3): two owners, so only the root dominates it
//       ├╌ Baz (7): weak only, retained by nothing
//       └─ Foo#3 (10) ─ Foo#4 (10): nested instances of one class, counted once
const START: TinyNode[] = [
  {
    type: 'synthetic',
    name: '',
    size: 0,
    edges: [
      { type: 'element', name: 1, to: 1 },
      { type: 'element', name: 2, to: 2 },
      { type: 'weak', name: 'ref', to: 5 },
      { type: 'element', name: 4, to: 6 },
    ],
  },
  {
    type: 'object',
    name: 'Foo',
    size: 10,
    edges: [
      { type: 'property', name: 'bar', to: 3 },
      { type: 'property', name: 'label', to: 4 },
    ],
  },
  { type: 'object', name: 'Foo', size: 10, edges: [{ type: 'property', name: 'label', to: 4 }] },
  { type: 'object', name: 'Bar', size: 5, edges: [] },
  { type: 'string', name: 'hello', size: 3, edges: [] },
  { type: 'object', name: 'Baz', size: 7, edges: [] },
  { type: 'object', name: 'Foo', size: 10, edges: [{ type: 'property', name: 'inner', to: 7 }] },
  { type: 'object', name: 'Foo', size: 10, edges: [] },
]

describe('buildHeapGraph', () => {
  const graph = buildHeapGraph(snapshotOf(START))

  it('gives each node its own size plus what only it keeps alive', () => {
    expect(graph.retainedSize[1]).toBe(15)
    expect(graph.retainedSize[2]).toBe(10)
    expect(graph.retainedSize[4]).toBe(3)
    expect(graph.retainedSize[6]).toBe(20)
  })

  it('makes the root dominate a node with two owners, and leaves a weakly held node out', () => {
    expect(graph.dominator[4]).toBe(0)
    expect(graph.dominator[3]).toBe(1)
    expect(graph.dominator[5]).toBe(-1)
    expect(graph.retainedSize[0]).toBe(10 + 5 + 10 + 3 + 10 + 10)
  })

  it('names strings and objects as DevTools groups them', () => {
    expect(graph.className.slice(1, 5)).toEqual(['Foo', 'Foo', 'Bar', '(string)'])
  })

  it('refuses a snapshot whose meta lacks a field it reads', () => {
    const broken = snapshotOf(START)
    broken.snapshot.meta.node_fields = broken.snapshot.meta.node_fields.filter(
      (f) => f !== 'self_size',
    )
    expect(() => buildHeapGraph(broken)).toThrow(/self_size/)
  })
})

describe('totalsByClass', () => {
  it('counts instances and sums retained size without counting nested instances twice', () => {
    const totals = totalsByClass(buildHeapGraph(snapshotOf(START)))
    expect(totals.get('Foo')).toEqual({ count: 4, selfSize: 40, retainedSize: 15 + 10 + 20 })
    expect(totals.get('Baz')).toEqual({ count: 1, selfSize: 7, retainedSize: 0 })
  })
})

describe('diffByClass', () => {
  it('puts the class whose retained size grew most first, with counts at both ends', () => {
    // The end snapshot holds two more Bar under Foo#2.
    const end: TinyNode[] = structuredClone(START)
    end[2]?.edges.push(
      { type: 'property', name: 'b1', to: 8 },
      { type: 'property', name: 'b2', to: 9 },
    )
    end.push(
      { type: 'object', name: 'Bar', size: 5, edges: [] },
      { type: 'object', name: 'Bar', size: 5, edges: [] },
    )
    const deltas = diffByClass(
      totalsByClass(buildHeapGraph(snapshotOf(START))),
      totalsByClass(buildHeapGraph(snapshotOf(end))),
    )
    // Both grew by the two Bar (10 bytes); the tie goes to the class whose count grew.
    expect(deltas.slice(0, 2)).toMatchObject([
      { name: 'Bar', retainedSizeDelta: 10 },
      { name: 'Foo', retainedSizeDelta: 10 },
    ])
    expect(deltas.find((d) => d.name === 'Bar')).toMatchObject({
      countStart: 1,
      countEnd: 3,
      countDelta: 2,
      selfSizeDelta: 10,
    })
    expect(deltas.find((d) => d.name === 'Baz')).toMatchObject({ countDelta: 0 })
  })
})

describe('retainersOf', () => {
  it('groups what refers to a class by retainer class and edge name', () => {
    const graph = buildHeapGraph(snapshotOf(START))
    expect(retainersOf(graph, '(string)')).toEqual([{ retainer: 'Foo', edge: 'label', count: 2 }])
    expect(retainersOf(graph, 'Baz')).toEqual([{ retainer: '(system)', edge: 'ref', count: 1 }])
  })
})
