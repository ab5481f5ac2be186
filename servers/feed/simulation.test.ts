import { describe, expect, it } from 'vitest'
import { BOX_SIZE, Simulation } from './simulation.ts'

const options = { seed: 42, rate: 10, sprites: 5, events: 5 }

describe('Simulation', () => {
  it('produces the same frames from the same seed', () => {
    const a = new Simulation(options)
    const b = new Simulation(options)
    for (let i = 0; i < 200; i++) expect(a.step()).toEqual(b.step())
  })

  it('produces other frames from another seed', () => {
    expect(new Simulation({ ...options, seed: 43 }).step()).not.toEqual(
      new Simulation(options).step(),
    )
  })

  it('keeps every sprite inside the box', () => {
    const simulation = new Simulation({ ...options, sprites: 20 })
    for (let i = 0; i < 1000; i++) {
      for (const sprite of simulation.step().sprites) {
        expect(sprite.x).toBeGreaterThanOrEqual(0)
        expect(sprite.x).toBeLessThanOrEqual(BOX_SIZE)
        expect(sprite.y).toBeGreaterThanOrEqual(0)
        expect(sprite.y).toBeLessThanOrEqual(BOX_SIZE)
      }
    }
  })

  it('changes each event score every 2–7 seconds of ticks', () => {
    const simulation = new Simulation(options)
    const changes = new Map<string, number[]>()
    for (let i = 0; i < 600; i++) {
      const step = simulation.step()
      for (const event of step.changed) {
        expect(event.updatedSeq).toBe(step.seq)
        changes.set(event.id, [...(changes.get(event.id) ?? [0]), step.seq])
      }
    }
    expect([...changes.keys()].sort()).toEqual([
      'EVENT#00',
      'EVENT#01',
      'EVENT#02',
      'EVENT#03',
      'EVENT#04',
    ])
    for (const seqs of changes.values()) {
      for (let i = 1; i < seqs.length; i++) {
        const gap = (seqs[i] ?? 0) - (seqs[i - 1] ?? 0)
        expect(gap).toBeGreaterThanOrEqual(20)
        expect(gap).toBeLessThanOrEqual(70)
      }
    }
  })

  it('refuses a rate that is not positive', () => {
    expect(() => new Simulation({ ...options, rate: 0 })).toThrow(/rate must be/)
  })
})
