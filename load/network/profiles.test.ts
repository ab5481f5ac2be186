import { describe, expect, it } from 'vitest'
import {
  PROFILES,
  PROFILE_NAMES,
  bytesPerSecond,
  isProfileName,
  kbitPerSecond,
  needsRelay,
  profileOf,
} from './profiles.ts'
import { linkOf } from './relay.ts'

describe('network profiles', () => {
  it('has the profiles the bench and the site name, fastest first', () => {
    expect(PROFILE_NAMES).toEqual([
      'loopback',
      'lan',
      'broadband',
      '4g',
      '3g',
      '4g-lossy',
      '4g-lossy-3',
    ])
    const clean = PROFILE_NAMES.filter((name) => profileOf(name).lossPercent === 0)
    const rtts = clean.map((name) => profileOf(name).rttMs)
    expect(rtts).toEqual([...rtts].sort((a, b) => a - b))
  })

  it('is frozen, and every profile says where its figures come from', () => {
    expect(Object.isFrozen(PROFILES)).toBe(true)
    for (const name of PROFILE_NAMES) {
      const profile = profileOf(name)
      expect(Object.isFrozen(profile), name).toBe(true)
      expect(profile.name).toBe(name)
      expect(profile.source.length, name).toBeGreaterThan(40)
      for (const value of [profile.rttMs, profile.jitterMs, profile.downKbps, profile.upKbps]) {
        expect(value).toBeGreaterThanOrEqual(0)
      }
    }
    // The models: Lighthouse's presets, value for value.
    expect(profileOf('4g')).toMatchObject({ rttMs: 150, downKbps: 1638.4, upKbps: 750 })
    expect(profileOf('3g')).toMatchObject({ rttMs: 300, downKbps: 700, upKbps: 700 })
    expect(profileOf('broadband')).toMatchObject({ rttMs: 40, downKbps: 10_240 })
    expect(profileOf('4g-lossy').lossPercent).toBe(1)
    expect(profileOf('4g-lossy-3').lossPercent).toBe(3)
  })

  it('refuses an unknown name with the list of names, and never reads the prototype', () => {
    expect(() => profileOf('5g')).toThrow(/unknown network profile "5g": use one of loopback, lan/)
    expect(isProfileName('toString')).toBe(false)
    expect(() => profileOf('__proto__')).toThrow(/unknown network profile/)
  })

  it('turns a profile into relay settings: half the RTT each way, kbit/s as bytes/s', () => {
    expect(bytesPerSecond(8)).toBe(1000)
    expect(kbitPerSecond(1000)).toBe(8)
    expect(kbitPerSecond(bytesPerSecond(1638.4))).toBeCloseTo(1638.4, 9)
    expect(needsRelay(profileOf('loopback'))).toBe(false)
    expect(needsRelay(profileOf('lan'))).toBe(true)
    expect(linkOf(profileOf('4g'))).toMatchObject({
      delayMs: 75,
      jitterMs: 0,
      downBytesPerS: 204_800,
      upBytesPerS: 93_750,
    })
  })
})
