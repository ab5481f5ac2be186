import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseTarget } from './request-target.ts'

describe('parseTarget', () => {
  it.each([
    ['/poll/long?epoch=a&since=1', '/poll/long', 'epoch=a&since=1'],
    ['/sse', '/sse', ''],
    ['//[', '//[', ''],
    ['//a:99999/', '//a:99999/', ''],
    ['//%', '//%', ''],
    ['//[?epoch=x', '//[', 'epoch=x'],
    ['/x/../sse?q=%zz#frag', '/sse', 'q=%zz'],
    ['http://lab.example/poll/short?x=1', '/poll/short', 'x=1'],
    ['HTTPS://lab.example:8443/ws', '/ws', ''],
  ])('reads %s as path %s and query %s', (target, pathname, query) => {
    expect(parseTarget(target)).toEqual({ ok: true, value: { pathname, query } })
  })

  it.each([
    ['http://[/sse', /"http:\/\/\[\/sse" is not a valid http\(s\) URL/],
    ['http://a:99999/ws', /not a valid http\(s\) URL/],
    ['ftp://lab.example/sse', /not a valid http\(s\) URL/],
    ['*', /asterisk-form/],
    ['lab.example:443', /neither a path nor an http\(s\) URL/],
    ['', /empty/],
  ])('refuses %s with a bad-target fault naming it', (target, message) => {
    const parsed = parseTarget(target)
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.fault.code).toBe('bad-target')
    expect(parsed.fault.message).toMatch(message)
  })

  it('never throws, and every path it returns starts with a slash', () => {
    const targets = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ maxLength: 30 }).map((s) => `/${s}`),
      fc.string({ maxLength: 30 }).map((s) => `//${s}`),
      fc.string({ maxLength: 30 }).map((s) => `http://${s}`),
      fc
        .constantFrom('[', ']', '%', ':', '@', '?', '#', '\\', '/..', '%zz')
        .chain((piece) =>
          fc.array(fc.constant(piece), { maxLength: 6 }).map((parts) => `/${parts.join('')}`),
        ),
    )
    fc.assert(
      fc.property(targets, (target) => {
        const parsed = parseTarget(target)
        if (parsed.ok) expect(parsed.value.pathname.startsWith('/')).toBe(true)
        else expect(parsed.fault.code).toBe('bad-target')
      }),
      { numRuns: 2000 },
    )
  })
})
