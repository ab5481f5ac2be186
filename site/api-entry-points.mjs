// @ts-check
import { join } from 'node:path'

/**
 * Source files the API reference documents (TSDoc of the servers and the load engine).
 * Shared by the site build (starlight-typedoc) and `npm run docs` (typedoc.json lists the same).
 * @param {string} repoRoot absolute path of the repository
 * @returns {string[]} absolute paths; the caller keeps those that exist
 */
export function apiEntryPoints(repoRoot) {
  return [
    'servers/main.ts',
    'servers/feed/messages.ts',
    'servers/feed/feed.ts',
    'servers/feed/history-ring.ts',
    'servers/feed/binary-layout.ts',
    'servers/feed/binary-codec.ts',
    'servers/transports/transport.ts',
    'servers/transports/registry.ts',
    'servers/bus/feed-source.ts',
    'load/engine/runner.ts',
    'load/engine/thresholds.ts',
    'load/bench/report-schema.ts',
  ].map((path) => join(repoRoot, path))
}
