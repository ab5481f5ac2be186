/** The sections of a run's report page, for Starlight's "On this page" list. */
export const RUN_HEADINGS = [
  { depth: 2, slug: 'ladder', text: 'How far each protocol went' },
  { depth: 2, slug: 'compare', text: 'Every protocol on one chart' },
  { depth: 2, slug: 'latency', text: 'Each protocol’s latency percentiles' },
  { depth: 2, slug: 'over-time', text: 'Latency over time, per step' },
  { depth: 2, slug: 'variants', text: 'Variants: single server vs cluster, JSON vs binary' },
  { depth: 2, slug: 'networks', text: 'Over emulated networks' },
  { depth: 2, slug: 'seed-004', text: 'Seed 004’s claims beside this run' },
  { depth: 2, slug: 'steps', text: 'Every step' },
]

/* The ids match the <h2> elements of components/results/RunReport.astro. */
