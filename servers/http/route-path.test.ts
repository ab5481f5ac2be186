import { describe, expect, it } from 'vitest'
import { plainTarget, routePath } from './route-path.ts'

describe('routePath', () => {
  it.each([
    ['/poll/long', '/poll/long'],
    ['/POLL/Long?epoch=a&since=1', '/poll/long'],
    ['/poll/short/', '/poll/short'],
    ['/SSE/?lastEventId=x', '/sse'],
    ['/', '/'],
    ['/labs/Echo', '/labs/echo'],
    // Not plain: normalized by URL parsing, so dot segments and fragments cannot hide a path.
    ['/x/../sse', '/sse'],
    ['/poll/./long', '/poll/long'],
    ['/sse#fragment', '/sse'],
    ['http://lab.example/poll/short?x=1', '/poll/short'],
  ])('folds %s to %s', (target, path) => {
    expect(routePath(target)).toBe(path)
  })

  it.each(['http://[/sse', '*', 'lab.example:443'])('is null for the unparsable %s', (target) => {
    expect(routePath(target)).toBeNull()
  })

  it('keeps a //-path a path instead of reading an authority from it', () => {
    expect(routePath('//[')).toBe('//[')
    expect(routePath('//SSE/')).toBe('//sse')
  })
})

describe('plainTarget', () => {
  it('splits a plain target into its folded path and raw query', () => {
    expect(plainTarget('/Poll/Long/?epoch=a&since=1&since=2')).toEqual({
      path: '/poll/long',
      query: 'epoch=a&since=1&since=2',
    })
    expect(plainTarget('/poll/short')).toEqual({ path: '/poll/short', query: '' })
  })

  it.each([
    '/poll/short#x',
    '/poll/short?since=1#x',
    '/poll/%73hort',
    '/x/../poll/short',
    'http://lab.example/poll/short',
    '/poll/short?a=\tb',
  ])('leaves %s to express', (target) => {
    expect(plainTarget(target)).toBeNull()
  })
})
