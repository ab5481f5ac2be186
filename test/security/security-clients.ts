/**
 * Real clients for the security tests: a WebSocket handshake that reports its status or close
 * code, an SSE reader that says whether and how its stream ended, and HS256 tokens signed
 * with jose.
 */
import { request, type RequestOptions } from 'node:https'
import { SignJWT } from 'jose'
import { WebSocket, type ClientOptions } from 'ws'

/** The secret, issuer and audience the test servers verify against. */
export const JWT = {
  secret: 'security-test-secret-0123456789abcdef0123456789',
  issuer: 'https://issuer.test',
  audience: 'realtime-lab',
} as const

/** Signs an HS256 token valid for `ttlS` seconds (negative: already expired). */
export async function signToken(
  ttlS: number,
  overrides: { audience?: string; issuer?: string } = {},
): Promise<string> {
  const nowS = Math.floor(Date.now() / 1000)
  return new SignJWT({ sub: 'tester' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(overrides.issuer ?? JWT.issuer)
    .setAudience(overrides.audience ?? JWT.audience)
    .setIssuedAt(nowS - 60)
    .setExpirationTime(nowS + ttlS)
    .sign(new TextEncoder().encode(JWT.secret))
}

/** What became of a WebSocket handshake. */
export type HandshakeOutcome =
  | { opened: true; ws: WebSocket; protocol: string; messages: string[] }
  | { opened: false; status: number; body: string; headers: Record<string, unknown> }

/** Opens a WebSocket; resolves with the open socket or the refusal's status and body. */
export function handshake(
  url: string,
  protocols: string[] = [],
  options: ClientOptions = {},
): Promise<HandshakeOutcome> {
  const ws = new WebSocket(url, protocols, options)
  // Listening from the start: the catch-up can arrive in the same read as the handshake.
  const messages: string[] = []
  ws.on('message', (data) => messages.push(Buffer.isBuffer(data) ? data.toString('utf8') : ''))
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      resolve({ opened: true, ws, protocol: ws.protocol, messages })
    })
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        resolve({ opened: false, status: res.statusCode ?? 0, body, headers: res.headers })
      })
    })
    ws.once('error', reject)
  })
}

/** Resolves with the close code and reason of a socket. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() })
    })
  })
}

/** Waits until a socket has collected at least `count` messages (or closed). */
export async function collected(
  outcome: { ws: WebSocket; messages: string[] },
  count: number,
): Promise<string[]> {
  for (let i = 0; i < 1000 && outcome.messages.length < count; i++) {
    if (outcome.ws.readyState > 1) break
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return outcome.messages
}

/**
 * Reads an SSE response until it ends or `maxChunks` chunks passed; returns the text read
 * and whether the stream ended.
 */
export async function readStream(
  response: Response,
  maxChunks = 10_000,
): Promise<{ ended: boolean; text: string }> {
  const reader = response.body?.getReader()
  if (reader === undefined) return { ended: true, text: '' }
  const decoder = new TextDecoder()
  let text = ''
  for (let i = 0; i < maxChunks; i++) {
    const chunk = await reader.read()
    if (chunk.done) return { ended: true, text }
    text += decoder.decode(chunk.value, { stream: true })
  }
  await reader.cancel()
  return { ended: false, text }
}

/** GET over https (trusting `options.ca` when given); resolves with status and body. */
export function httpsGet(
  url: string,
  options: Pick<RequestOptions, 'ca' | 'headers'> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body })
      })
    })
    req.once('error', reject)
    req.end()
  })
}
