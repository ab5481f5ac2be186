/**
 * Every hands-on lab and every practical task of seed 002, with what to open and what to
 * try. A task is a lab served here, a feature of the reference servers, or planned (not
 * built yet, said plainly). `npm run lab` prints this catalog.
 */
import { LAB_DEFAULTS } from './lab-defaults.ts'

/** Where a catalog entry stands. */
export type LabStatus = 'lab' | 'feature' | 'planned'

/** Seed 002's ten practical tasks, in the seed's order. */
export const SEED_002_TASKS = [
  'basic server',
  'echo',
  'broadcast',
  'chat rooms with users',
  'heartbeat',
  'JWT middleware',
  'reconnection with backoff',
  'Redis pub/sub across instances',
  'multiplayer game or whiteboard',
  'production deployment with nginx and wss',
] as const

/** One seed 002 task. */
export type Seed002Task = (typeof SEED_002_TASKS)[number]

/** One entry of `npm run lab`. */
export interface LabCatalogEntry {
  /** The name given to `npm run lab -- <name>`. */
  readonly name: string
  readonly status: LabStatus
  /** One line for the list. */
  readonly summary: string
  /** The seed 002 tasks this entry covers. */
  readonly seedTasks: readonly Seed002Task[]
  /** Command that starts what the lab needs (absent for planned entries). */
  readonly start?: string
  /** What to open, each line a URL, a command or a browser-console snippet. */
  readonly open: readonly string[]
  /** What to try, step by step. */
  readonly tryThis: readonly string[]
  /** Slugs of the site's lab pages (`/labs/<slug>/`) that go deeper. */
  readonly sitePages: readonly string[]
  /** For planned entries: why it is not built yet and where it will land. */
  readonly reason?: string
}

/** The base URL every command assumes (`npm start` listens there by default). */
export const LAB_BASE_URL = 'http://127.0.0.1:8080'
const WS_BASE = LAB_BASE_URL.replace(/^http/, 'ws')

/** The catalog, in the order `npm run lab` lists it. */
export const LAB_CATALOG: readonly LabCatalogEntry[] = Object.freeze([
  {
    name: 'basic-server',
    status: 'feature',
    summary: 'The reference server: one feed over WebSocket, SSE, long and short polling',
    seedTasks: ['basic server'],
    start: 'npm start',
    open: [
      `${LAB_BASE_URL}/healthz`,
      `${LAB_BASE_URL}/api/feed`,
      `curl -N ${LAB_BASE_URL}/sse`,
      `browser console: new WebSocket('${WS_BASE}/ws').onmessage = (e) => console.log(e.data)`,
    ],
    tryThis: [
      'Watch the first message: a snapshot, then one frame every 100 ms with seq rising by 1.',
      'Compare the same frames over /sse, /poll/long and /poll/short.',
    ],
    sitePages: ['first-stream', 'inspect-frames'],
  },
  {
    name: 'echo',
    status: 'lab',
    summary: 'Echo: every message comes back to its sender (WebSocket, and SSE + POST)',
    seedTasks: ['echo'],
    start: 'npm start',
    open: [
      `browser console: const ws = new WebSocket('${WS_BASE}/labs/echo'); ws.onmessage = (e) => console.log(e.data); ws.onopen = () => ws.send('hello')`,
      `curl -N ${LAB_BASE_URL}/labs/echo/sse   (note the session id in the hello message)`,
      `curl -X POST --data 'hello' '${LAB_BASE_URL}/labs/echo?session=<id>'`,
    ],
    tryThis: [
      'Send text and see {"type":"echo","data":…,"t":…} come back; t is the server clock, so now − t is the one-way delay.',
      'Send a Blob or ArrayBuffer over the WebSocket: it comes back byte for byte.',
      'Send more than 64 KiB: the socket closes with 1009 (message too big); the POST gets HTTP 413.',
      'Open DevTools › Network › the socket › Messages to see each frame.',
    ],
    sitePages: ['inspect-frames'],
  },
  {
    name: 'broadcast',
    status: 'lab',
    summary: 'Broadcast: one message reaches every connected client, WebSocket and SSE alike',
    seedTasks: ['broadcast'],
    start: 'npm start',
    open: [
      `three browser tabs, each console: const ws = new WebSocket('${WS_BASE}/labs/broadcast'); ws.onmessage = (e) => console.log(e.data)`,
      `curl -N ${LAB_BASE_URL}/labs/broadcast/sse`,
      `curl -X POST --data 'hello everyone' ${LAB_BASE_URL}/labs/broadcast`,
    ],
    tryThis: [
      'Open three tabs and the curl stream; ws.send("hi") in one tab shows up in all four.',
      'POST without a session: from is "http". The message is serialized once and the same bytes go to every client.',
      'Stop the server (Ctrl-C): sockets close with 1001, the SSE stream ends.',
    ],
    sitePages: ['multiple-tabs'],
  },
  {
    name: 'chat',
    status: 'lab',
    summary: 'Chat rooms: names, presence, typing, acks, history on join — WebSocket vs SSE + POST',
    seedTasks: ['chat rooms with users'],
    start: 'npm start',
    open: [
      `tab 1 console: const ws = new WebSocket('${WS_BASE}/labs/chat?room=lobby&user=ana'); ws.onmessage = (e) => console.log(e.data)`,
      `tab 2: curl -N '${LAB_BASE_URL}/labs/chat/sse?room=lobby&user=bo'   (note the session id)`,
      `curl -X POST --data '{"type":"say","id":"m1","text":"hi ana"}' '${LAB_BASE_URL}/labs/chat?session=<id>'`,
      `${LAB_BASE_URL}/labs/chat/rooms`,
    ],
    tryThis: [
      'Join the same room from a WebSocket tab and an SSE stream: both see join/leave presence.',
      'ws.send(JSON.stringify({type:"say",id:"m1",text:"hello"})) → an ack for m1 and the message to everyone; send m1 again → acked again with duplicate:true, not delivered twice.',
      'ws.send(JSON.stringify({type:"typing",active:true})) → the others see a typing event.',
      `Join late: the joined message carries the last ${LAB_DEFAULTS.historyLength} messages.`,
      'Send bad input (not JSON, a room named "Bad Room!", no user): an error message names the problem and the connection stays usable.',
      'Load it: npm run load -- load/scenarios/chat.ts (chat_latency and chat_ack trends).',
    ],
    sitePages: ['multiple-tabs', 'throttled-network'],
  },
  {
    name: 'whiteboard',
    status: 'lab',
    summary: 'Collaborative whiteboard: server-ordered strokes, late joiners get the board',
    seedTasks: ['multiplayer game or whiteboard'],
    start: 'npm start',
    open: [
      `three tabs, each console: const ws = new WebSocket('${WS_BASE}/labs/whiteboard?room=art&user=tab1'); ws.onmessage = (e) => console.log(e.data)`,
      `ws.send(JSON.stringify({type:"stroke",id:"s1",color:"#d33682",width:4,points:[[10,10],[200,120]]}))`,
      `${LAB_BASE_URL}/labs/whiteboard/rooms/art`,
    ],
    tryThis: [
      'Draw from three tabs at once: every tab receives every stroke with the same seq order.',
      'Open a fourth tab late: its board message holds every stroke so far, as of a seq.',
      'Send {"type":"clear"}: every tab gets cleared with the next seq.',
      'Send the same stroke id twice, as a client resending after a reconnect would: it is drawn once, and the resend gets {"type":"ack","duplicate":true}.',
      'Throttle one tab in DevTools (Slow 3G): its strokes arrive late but in the same order.',
    ],
    sitePages: ['throttled-network'],
  },
  {
    name: 'heartbeat',
    status: 'feature',
    summary: 'Heartbeat: the servers ping every socket and terminate peers that stop answering',
    seedTasks: ['heartbeat'],
    start: 'npm start',
    open: [`${LAB_BASE_URL}/metrics`],
    tryThis: [
      'The reference WebSocket transport pings each socket and terminates one that stops answering; the labs ping every 30 s and terminate a socket that missed the last pong.',
      'Freeze a command-line WebSocket client without closing it (kill -STOP <pid> of a node script using ws): it stops answering pings and the server terminates it after missed heartbeats.',
      'A paused browser tab (debugger breakpoint) still answers pings: the browser, not the page, sends pongs.',
    ],
    sitePages: ['heartbeat'],
  },
  {
    name: 'reconnect',
    status: 'feature',
    summary: 'Reconnection with capped backoff and resume from history, on all four protocols',
    seedTasks: ['reconnection with backoff'],
    start: 'npm start',
    open: [
      'the site live page (npm run site), or any load scenario: npm run load -- load/scenarios/websocket.ts',
    ],
    tryThis: [
      'Stop the server (Ctrl-C) and start it again: clients reconnect with backoff and resume with ?epoch=&since= (WebSocket) or Last-Event-ID (SSE).',
      'Within the history window nothing is lost; past it a reset and a snapshot arrive, never a silent gap.',
    ],
    sitePages: ['stop-the-backend', 'resume-after-disconnect', 'start-stop'],
  },
  {
    name: 'slow-consumer',
    status: 'feature',
    summary: 'Slow consumers are dropped, never slow the others (WebSocket 4008, SSE ended)',
    seedTasks: [],
    start: 'npm start',
    open: [`curl -N ${LAB_BASE_URL}/sse`, `${LAB_BASE_URL}/metrics`],
    tryThis: [
      'Pause a reader (kill -STOP <curl pid>) while other clients keep reading: their latency does not move.',
      `Once its unsent bytes pass ${String(LAB_DEFAULTS.slowClientBytes / 1024 / 1024)} MiB the server drops it (WebSocket close 4008 "slow", SSE stream ended); resumed, it catches up from history.`,
    ],
    sitePages: ['slow-consumer'],
  },
  {
    name: 'bench',
    status: 'feature',
    summary: 'The benchmark ladder, reference design against the seeds’ per-connection timers',
    seedTasks: [],
    start: 'npm run bench -- --quick --baseline',
    open: ['the run folder it prints (results/<run-id>/report.json)', 'npm run site › results'],
    tryThis: [
      'Run the quick profile first; then the full ladder (npm run bench) when the machine is idle.',
      'Compare p(95) latency and CPU per connection of the reference servers and the baseline at each step.',
    ],
    sitePages: ['bench-ladder', 'per-connection-timers', 'load-test'],
  },
  {
    name: 'chat-load',
    status: 'lab',
    summary: 'k6 chat load: rooms × users × message rate, end-to-end and ack latency',
    seedTasks: [],
    start: 'npm start',
    open: [
      'npm run load -- -e ROOMS=10 -e USERS_PER_ROOM=10 -e MSG_RATE=1 -e RAMP=5s -e HOLD=20s load/scenarios/chat.ts',
      'k6 run -e BASE_URL=http://127.0.0.1:8080 -e ROOMS=10 -e USERS_PER_ROOM=10 load/scenarios/chat.ts',
    ],
    tryThis: [
      'Raise USERS_PER_ROOM: fan-out per message grows with room size; watch chat_latency p(95).',
      `Raise MSG_RATE past ${LAB_DEFAULTS.messageRatePerS}/s per user: the server answers rate-limited and chat_errors counts it.`,
    ],
    sitePages: ['load-test'],
  },
  {
    name: 'jwt',
    status: 'planned',
    summary: 'JWT middleware on the upgrade — not built yet as a lab',
    seedTasks: ['JWT middleware'],
    open: [],
    tryThis: [],
    sitePages: [],
    reason:
      'Not built yet: the token verifier (jose, algorithm allowlist, iss/aud/exp checks) exists in servers/http/auth.ts with its tests, but no server option turns it on for a lab yet.',
  },
  {
    name: 'redis',
    status: 'planned',
    summary: 'Redis pub/sub across server instances — not built yet',
    seedTasks: ['Redis pub/sub across instances'],
    open: [],
    tryThis: [],
    sitePages: [],
    reason:
      'Not built yet: the bus that carries frames between processes (servers/bus, memory and Redis) is planned; today one process serves everything.',
  },
  {
    name: 'deploy',
    status: 'planned',
    summary: 'Production deployment behind nginx with wss and sticky sessions — not built yet',
    seedTasks: ['production deployment with nginx and wss'],
    open: [],
    tryThis: [],
    sitePages: [],
    reason:
      'Not built yet: an nginx configuration (TLS, Upgrade headers, proxy_buffering off for SSE, sticky sessions) comes with the Redis bus, since several instances need it.',
  },
] satisfies LabCatalogEntry[])

/** The catalog entry named `name`, or undefined. */
export function findLab(name: string): LabCatalogEntry | undefined {
  return LAB_CATALOG.find((entry) => entry.name === name)
}
