/**
 * Display names shared by the sidebar, the question pages and the charts, so that a protocol or
 * topic reads the same everywhere.
 */
import { PROTOCOL_TABLE, PROTOCOLS, type Protocol } from '../../../servers/transports/protocols.ts'
import type { TOPICS } from '../schemas/question.ts'

/** How each protocol is written in prose and legends. */
export const PROTOCOL_LABELS: Readonly<Record<Protocol | 'http', string>> = Object.freeze({
  ...(Object.fromEntries(
    PROTOCOLS.map((protocol) => [protocol, PROTOCOL_TABLE[protocol].label]),
  ) as Record<Protocol, string>),
  http: 'HTTP',
})

/** One colour per protocol, the same on every chart and live panel. */
export const PROTOCOL_COLOURS: Readonly<Record<Protocol, string>> = Object.freeze({
  websocket: '#3b82f6',
  sse: '#10b981',
  'long-poll': '#f59e0b',
  'short-poll': '#ef4444',
})

/** Topic folder → sidebar label, used when a topic has no `index.mdx` yet. */
export const TOPIC_LABELS: Readonly<Record<(typeof TOPICS)[number], string>> = Object.freeze({
  'websocket-fundamentals': 'WebSocket fundamentals',
  'node-servers': 'Node servers',
  sse: 'Server-Sent Events',
  polling: 'Polling',
  react: 'React clients',
  reliability: 'Reliability',
  scaling: 'Scaling',
  security: 'Security',
  'realtime-apps': 'Real-time apps',
  beyond: 'Beyond',
})

/** The lab pages under `src/content/docs/labs/`; question files may link only to these. */
export const LAB_SLUGS = [
  'first-stream',
  'multiple-tabs',
  'throttled-network',
  'stop-the-backend',
  'inspect-frames',
  'resume-after-disconnect',
  'start-stop',
  'slow-consumer',
  'heartbeat',
  'load-test',
  'bench-ladder',
  'per-connection-timers',
  'compression',
  'polling-fallback',
] as const
