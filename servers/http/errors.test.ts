import { request, type IncomingMessage, type Server } from 'node:http'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAULTS, fault, sendFault, writeFaultReply, type FaultCode } from './errors.ts'

// The same fault through express (`sendFault`) and through plain node:http
// (`writeFaultReply`, used by the routes served before express).
let server: Server
let port = 0

beforeAll(async () => {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.get('/express/:code', (req, res) => {
    sendFault(res, fault(req.params.code as FaultCode), { Allow: 'GET' })
  })
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const plain = server.listeners('request')[0] as (...args: unknown[]) => void
  server.removeAllListeners('request')
  server.on('request', (req: IncomingMessage, res) => {
    const url = req.url ?? ''
    if (url.startsWith('/plain/')) {
      writeFaultReply(res, fault(url.slice('/plain/'.length) as FaultCode), { Allow: 'GET' })
    } else {
      plain(req, res)
    }
  })
  port = (server.address() as { port: number }).port
})

afterAll(() => {
  server.close()
})

function get(path: string): Promise<{ status: number; headers: object; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString()
      })
      res.on('end', () => {
        // Date and the connection's own headers differ between any two replies.
        const headers = { ...res.headers }
        delete headers.date
        delete headers.connection
        delete headers['keep-alive']
        resolve({ status: res.statusCode ?? 0, headers, body })
      })
    })
      .on('error', reject)
      .end()
  })
}

describe('writeFaultReply', () => {
  it('answers every fault exactly as sendFault does through express', async () => {
    for (const code of Object.keys(FAULTS) as FaultCode[]) {
      const viaExpress = await get(`/express/${code}`)
      const plain = await get(`/plain/${code}`)
      expect({ code, ...plain }).toEqual({ code, ...viaExpress })
      expect(plain.status).toBe(FAULTS[code].status)
    }
  })
})
