/**
 * Reads V8 `.heapsnapshot` files (the JSON Chrome DevTools loads) and compares two of them
 * by constructor: instance count, shallow size and retained size, the way DevTools'
 * Summary and Comparison views group a heap. The soak takes one snapshot after the ramp and
 * one at the end; this says which constructors grew, and `retainersOf` says what holds them.
 *
 *   npx node load/soak/heap-snapshot-diff.ts START.heapsnapshot END.heapsnapshot [--top 15] [--into RUN.json]
 *
 * `--into` adds the comparison to a soak run's JSON as `heapDiff`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { flagNumber, parseToolArgs, usageError } from '../kit/tool-args.ts'

/** The parts of a `.heapsnapshot` JSON this module reads. */
export interface HeapSnapshotJson {
  snapshot: {
    meta: {
      node_fields: string[]
      node_types: unknown[]
      edge_fields: string[]
      edge_types: unknown[]
    }
  }
  nodes: number[]
  edges: number[]
  strings: string[]
}

/** A snapshot in flat arrays, with each node's class, retainers and retained size. */
export interface HeapGraph {
  /** Number of nodes; node `i` is `i`, the synthetic root is 0. */
  nodeCount: number
  /** Class name of each node (the constructor for objects, `(string)`, `(closure)`, …). */
  className: string[]
  /** Own size of each node, in bytes. */
  selfSize: Float64Array
  /** Size of each node plus everything only it keeps alive (dominator tree), in bytes. */
  retainedSize: Float64Array
  /** Immediate dominator of each node (-1 when unreachable from the root). */
  dominator: Int32Array
  /** Retainers of node `i`: `retainerNode[retainerStart[i] .. retainerStart[i+1]]`. */
  retainerStart: Uint32Array
  /** Retaining node of each retainer entry. */
  retainerNode: Uint32Array
  /** Edge name of each retainer entry (property name, element index or edge type). */
  retainerEdge: string[]
}

/** Totals of one class in one snapshot. */
export interface ClassTotals {
  count: number
  selfSize: number
  /** DevTools' class retained size: instances not dominated by another instance of the class. */
  retainedSize: number
}

/** One class compared between two snapshots (`end − start` deltas). */
export interface ClassDelta {
  name: string
  countStart: number
  countEnd: number
  countDelta: number
  selfSizeDelta: number
  retainedSizeStart: number
  retainedSizeEnd: number
  retainedSizeDelta: number
}

function className(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
      return name
    case 'closure':
      return '(closure)'
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)'
    case 'code':
      return '(compiled code)'
    case 'hidden':
    case 'synthetic':
    case 'object shape':
      return '(system)'
    default:
      return `(${type})`
  }
}

function fieldIndex(fields: string[], name: string): number {
  const index = fields.indexOf(name)
  if (index < 0) throw new Error(`heap snapshot meta has no "${name}" field: ${fields.join(',')}`)
  return index
}

/**
 * Builds the graph of a parsed `.heapsnapshot`: classes, retainers, and retained sizes from
 * the dominator tree (Cooper–Harvey–Kennedy), ignoring weak edges as DevTools does.
 */
export function buildHeapGraph(json: HeapSnapshotJson): HeapGraph {
  const { meta } = json.snapshot
  const nodeFieldCount = meta.node_fields.length
  const edgeFieldCount = meta.edge_fields.length
  const nType = fieldIndex(meta.node_fields, 'type')
  const nName = fieldIndex(meta.node_fields, 'name')
  const nSelf = fieldIndex(meta.node_fields, 'self_size')
  const nEdges = fieldIndex(meta.node_fields, 'edge_count')
  const eType = fieldIndex(meta.edge_fields, 'type')
  const eName = fieldIndex(meta.edge_fields, 'name_or_index')
  const eTo = fieldIndex(meta.edge_fields, 'to_node')
  const nodeTypes = meta.node_types[0] as string[]
  const edgeTypes = meta.edge_types[0] as string[]
  const { nodes, edges, strings } = json
  const nodeCount = nodes.length / nodeFieldCount
  if (!Number.isInteger(nodeCount) || nodeCount === 0) {
    throw new Error(
      `heap snapshot has ${String(nodes.length)} node values, not a multiple of ${String(nodeFieldCount)}`,
    )
  }
  const weak = edgeTypes.indexOf('weak')
  const elementLike = new Set(['element', 'hidden'].map((t) => edgeTypes.indexOf(t)))

  const names: string[] = new Array<string>(nodeCount)
  const selfSize = new Float64Array(nodeCount)
  // Outgoing strong edges in CSR form: first edge of node i at firstEdge[i].
  const firstEdge = new Uint32Array(nodeCount + 1)
  const retainerCount = new Uint32Array(nodeCount + 1)
  let edgeOffset = 0
  for (let i = 0; i < nodeCount; i++) {
    const base = i * nodeFieldCount
    names[i] = className(
      nodeTypes[nodes[base + nType] ?? 0] ?? 'unknown',
      strings[nodes[base + nName] ?? 0] ?? '',
    )
    selfSize[i] = nodes[base + nSelf] ?? 0
    firstEdge[i] = edgeOffset
    const count = nodes[base + nEdges] ?? 0
    for (let e = 0; e < count; e++) {
      const to = (edges[(edgeOffset + e) * edgeFieldCount + eTo] ?? 0) / nodeFieldCount
      retainerCount[to + 1] = (retainerCount[to + 1] ?? 0) + 1
    }
    edgeOffset += count
  }
  firstEdge[nodeCount] = edgeOffset
  const edgeTo = (e: number): number => (edges[e * edgeFieldCount + eTo] ?? 0) / nodeFieldCount
  const isStrong = (e: number): boolean => edges[e * edgeFieldCount + eType] !== weak

  // Retainers (all edges, weak ones too: they answer "what refers to this").
  const retainerStart = new Uint32Array(nodeCount + 1)
  for (let i = 0; i < nodeCount; i++)
    retainerStart[i + 1] = (retainerStart[i] ?? 0) + (retainerCount[i + 1] ?? 0)
  const fill = retainerStart.slice(0, nodeCount)
  const retainerNode = new Uint32Array(edgeOffset)
  const retainerEdge: string[] = new Array<string>(edgeOffset)
  const retainerStrong = new Uint8Array(edgeOffset)
  for (let i = 0; i < nodeCount; i++) {
    for (let e = firstEdge[i] ?? 0; e < (firstEdge[i + 1] ?? 0); e++) {
      const to = edgeTo(e)
      const slot = fill[to] ?? 0
      fill[to] = slot + 1
      retainerNode[slot] = i
      retainerStrong[slot] = isStrong(e) ? 1 : 0
      const type = edges[e * edgeFieldCount + eType] ?? 0
      const nameOrIndex = edges[e * edgeFieldCount + eName] ?? 0
      retainerEdge[slot] = elementLike.has(type)
        ? `[${String(nameOrIndex)}]`
        : (strings[nameOrIndex] ?? `#${String(nameOrIndex)}`)
    }
  }

  const order = strongPostOrder(nodeCount, firstEdge, isStrong, edgeTo)
  const { postOrder, reached } = order
  const idom = immediateDominators(order, reached, retainerStart, retainerNode, retainerStrong)
  const rootPo = reached - 1

  const dominator = new Int32Array(nodeCount).fill(-1)
  const retainedSize = new Float64Array(nodeCount)
  for (let po = 0; po < reached; po++) {
    const node = postOrder[po] ?? 0
    retainedSize[node] = (retainedSize[node] ?? 0) + (selfSize[node] ?? 0)
    if (po === rootPo) continue
    const parent = postOrder[idom[po] ?? rootPo] ?? 0
    dominator[node] = parent
    // Post-order visits every node before its dominator, so its total is complete here.
    retainedSize[parent] = (retainedSize[parent] ?? 0) + (retainedSize[node] ?? 0)
  }
  dominator[0] = 0
  return {
    nodeCount,
    className: names,
    selfSize,
    retainedSize,
    dominator,
    retainerStart,
    retainerNode,
    retainerEdge,
  }
}

/** The post-order of the graph's strong edges from the root (node 0), iteratively: heaps are deep. */
function strongPostOrder(
  nodeCount: number,
  firstEdge: Uint32Array,
  isStrong: (edge: number) => boolean,
  edgeTo: (edge: number) => number,
): { postOrder: Uint32Array; postOrderIndex: Int32Array; reached: number } {
  const postOrderIndex = new Int32Array(nodeCount).fill(-1)
  const postOrder = new Uint32Array(nodeCount)
  const visited = new Uint8Array(nodeCount)
  const stackNode = new Uint32Array(nodeCount)
  const stackEdge = new Uint32Array(nodeCount)
  let depth = 0
  let reached = 0
  stackNode[0] = 0
  stackEdge[0] = firstEdge[0] ?? 0
  visited[0] = 1
  while (depth >= 0) {
    const node = stackNode[depth] ?? 0
    const e = stackEdge[depth] ?? 0
    if (e < (firstEdge[node + 1] ?? 0)) {
      stackEdge[depth] = e + 1
      if (!isStrong(e)) continue
      const to = edgeTo(e)
      if (visited[to] === 1) continue
      visited[to] = 1
      depth++
      stackNode[depth] = to
      stackEdge[depth] = firstEdge[to] ?? 0
    } else {
      postOrderIndex[node] = reached
      postOrder[reached++] = node
      depth--
    }
  }
  return { postOrder, postOrderIndex, reached }
}

/**
 * Immediate dominators over post-order numbers (root = reached - 1), by Cooper–Harvey–Kennedy
 * over the strong retainers.
 */
function immediateDominators(
  order: { postOrder: Uint32Array; postOrderIndex: Int32Array },
  reached: number,
  retainerStart: Uint32Array,
  retainerNode: Uint32Array,
  retainerStrong: Uint8Array,
): Int32Array {
  const { postOrder, postOrderIndex } = order
  const rootPo = reached - 1
  const idom = new Int32Array(reached).fill(-1)
  idom[rootPo] = rootPo
  const intersect = (a: number, b: number): number => {
    let x = a
    let y = b
    while (x !== y) {
      while (x < y) x = idom[x] ?? rootPo
      while (y < x) y = idom[y] ?? rootPo
    }
    return x
  }
  for (let changed = true; changed;) {
    changed = false
    for (let po = rootPo - 1; po >= 0; po--) {
      const node = postOrder[po] ?? 0
      let next = -1
      for (let r = retainerStart[node] ?? 0; r < (retainerStart[node + 1] ?? 0); r++) {
        const from = retainerNode[r] ?? 0
        const fromPo = postOrderIndex[from] ?? -1
        if (fromPo < 0 || idom[fromPo] === -1) continue
        if (retainerStrong[r] !== 1) continue
        next = next === -1 ? fromPo : intersect(fromPo, next)
      }
      if (next !== -1 && idom[po] !== next) {
        idom[po] = next
        changed = true
      }
    }
  }
  return idom
}

/**
 * Totals per class. A class's retained size counts only instances with no other instance
 * of the same class above them in the dominator tree, so nothing is counted twice.
 */
export function totalsByClass(graph: HeapGraph): Map<string, ClassTotals> {
  const totals = new Map<string, ClassTotals>()
  for (let i = 0; i < graph.nodeCount; i++) {
    const name = graph.className[i] ?? ''
    let entry = totals.get(name)
    if (entry === undefined) {
      entry = { count: 0, selfSize: 0, retainedSize: 0 }
      totals.set(name, entry)
    }
    entry.count++
    entry.selfSize += graph.selfSize[i] ?? 0
    if (graph.dominator[i] === -1 || i === 0) continue
    let above = graph.dominator[i] ?? 0
    let shadowed = false
    // Dominator chains are short in practice; bound the walk anyway.
    for (let steps = 0; above !== 0 && steps < 10_000; steps++) {
      if (graph.className[above] === name) {
        shadowed = true
        break
      }
      above = graph.dominator[above] ?? 0
    }
    if (!shadowed) entry.retainedSize += graph.retainedSize[i] ?? 0
  }
  return totals
}

/** Compares two snapshots' class totals, largest retained-size growth first. */
export function diffByClass(
  start: Map<string, ClassTotals>,
  end: Map<string, ClassTotals>,
): ClassDelta[] {
  const zero: ClassTotals = { count: 0, selfSize: 0, retainedSize: 0 }
  const names = new Set([...start.keys(), ...end.keys()])
  return [...names]
    .map((name) => {
      const a = start.get(name) ?? zero
      const b = end.get(name) ?? zero
      return {
        name,
        countStart: a.count,
        countEnd: b.count,
        countDelta: b.count - a.count,
        selfSizeDelta: b.selfSize - a.selfSize,
        retainedSizeStart: a.retainedSize,
        retainedSizeEnd: b.retainedSize,
        retainedSizeDelta: b.retainedSize - a.retainedSize,
      }
    })
    .sort((x, y) => y.retainedSizeDelta - x.retainedSizeDelta || y.countDelta - x.countDelta)
}

/**
 * What refers to the instances of `name`: retainer class and edge name, with how many
 * instances each holds, most first. Weak references are included and marked by DevTools'
 * own edge names.
 */
export function retainersOf(
  graph: HeapGraph,
  name: string,
): { retainer: string; edge: string; count: number }[] {
  const counts = new Map<string, { retainer: string; edge: string; count: number }>()
  for (let i = 0; i < graph.nodeCount; i++) {
    if (graph.className[i] !== name) continue
    for (let r = graph.retainerStart[i] ?? 0; r < (graph.retainerStart[i + 1] ?? 0); r++) {
      const retainer = graph.className[graph.retainerNode[r] ?? 0] ?? ''
      const edge = graph.retainerEdge[r] ?? ''
      const key = `${retainer}\u0000${edge}`
      const entry = counts.get(key)
      if (entry === undefined) counts.set(key, { retainer, edge, count: 1 })
      else entry.count++
    }
  }
  return [...counts.values()].sort((a, b) => b.count - a.count)
}

/** Reads and parses one `.heapsnapshot` file. */
export function readHeapSnapshot(file: string): HeapGraph {
  return buildHeapGraph(JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshotJson)
}

if (import.meta.main) {
  const USAGE =
    'npx node load/soak/heap-snapshot-diff.ts START.heapsnapshot END.heapsnapshot [flags]: which constructors grew between two V8 heap snapshots'
  const { values, positionals } = parseToolArgs(USAGE, {
    allowPositionals: true,
    options: { top: { type: 'string', default: '15' }, into: { type: 'string' } },
  })
  const [startFile, endFile] = positionals
  const top = flagNumber('--top', values.top, { integer: true, min: 1 })
  if (startFile === undefined || endFile === undefined)
    usageError('give two snapshot files (--help)')
  for (const file of [startFile, endFile]) {
    if (!existsSync(file)) usageError(`${file}: no such snapshot file`)
  }
  const startGraph = readHeapSnapshot(startFile)
  const startTotals = totalsByClass(startGraph)
  const endGraph = readHeapSnapshot(endFile)
  const endTotals = totalsByClass(endGraph)
  const deltas = diffByClass(startTotals, endTotals)
  const grew = deltas.slice(0, top)
  const heapDiff = {
    startFile,
    endFile,
    startTotalSelfBytes: [...startTotals.values()].reduce((s, t) => s + t.selfSize, 0),
    endTotalSelfBytes: [...endTotals.values()].reduce((s, t) => s + t.selfSize, 0),
    startNodes: startGraph.nodeCount,
    endNodes: endGraph.nodeCount,
    topByRetainedGrowth: grew,
    topByCountGrowth: [...deltas].sort((a, b) => b.countDelta - a.countDelta).slice(0, top),
    retainersOfTopGrowth: grew.slice(0, 3).map((d) => ({
      name: d.name,
      retainers: retainersOf(endGraph, d.name).slice(0, 5),
    })),
  }
  console.table(
    grew.map((d) => ({
      class: d.name.slice(0, 40),
      count: `${String(d.countStart)} → ${String(d.countEnd)}`,
      'retained KiB': `${(d.retainedSizeStart / 1024).toFixed(0)} → ${(d.retainedSizeEnd / 1024).toFixed(0)}`,
    })),
  )
  if (values.into !== undefined) {
    const run = JSON.parse(readFileSync(values.into, 'utf8')) as Record<string, unknown>
    run['heapDiff'] = heapDiff
    writeFileSync(values.into, `${JSON.stringify(run, null, 2)}\n`)
    console.log(`heapDiff written into ${values.into}`)
  }
}
