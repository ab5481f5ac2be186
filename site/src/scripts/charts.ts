/**
 * The chart island: draws every `[data-chart]` element of the page with uPlot from the JSON
 * spec the server rendered into it (see lib/chart-specs.ts). Loaded only on pages with charts.
 */
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { ChartSpec } from '../lib/chart-specs.ts'

const HEIGHT = 240

/** Fills the x ranges of invalid steps before the lines are drawn. */
const shadePlugin = (ranges: [number, number][]): uPlot.Plugin => ({
  hooks: {
    drawClear: (chart: uPlot) => {
      const { ctx } = chart
      ctx.save()
      ctx.fillStyle = 'rgba(245, 158, 11, 0.18)'
      for (const [from, to] of ranges) {
        const left = chart.valToPos(from, 'x', true)
        const right = chart.valToPos(to, 'x', true)
        // A lone invalid step at an edge still gets a visible band.
        const width = Math.max(right - left, 12 * uPlot.pxRatio)
        ctx.fillRect(
          left - (right === left ? width / 2 : 0),
          chart.bbox.top,
          width,
          chart.bbox.height,
        )
      }
      ctx.restore()
    },
  },
})

/**
 * Draws the points of invalid steps hollow (a ring in the line's colour around the page's
 * background), so a reader sees which protocol's point the load generator limited.
 */
const hollowPlugin = (spec: ChartSpec): uPlot.Plugin => ({
  hooks: {
    draw: (chart: uPlot) => {
      const { ctx } = chart
      const radius = 4.5 * uPlot.pxRatio
      ctx.save()
      ctx.lineWidth = 2 * uPlot.pxRatio
      spec.lines.forEach((line, index) => {
        if (chart.series[index + 1]?.show === false) return
        line.invalid?.forEach((reason, at) => {
          const value = line.values[at]
          const x = spec.x[at]
          if (reason === null || value === null || value === undefined || x === undefined) return
          const left = chart.valToPos(x, 'x', true)
          const top = chart.valToPos(value, 'y', true)
          ctx.beginPath()
          ctx.arc(left, top, radius, 0, 2 * Math.PI)
          ctx.fillStyle = getComputedStyle(chart.root).backgroundColor || '#fff'
          ctx.fill()
          ctx.strokeStyle = line.colour
          ctx.stroke()
        })
      })
      ctx.restore()
    },
  },
})

/** Every chart of a page shares its cursor: hovering one connection count shows it on all. */
const CURSOR_SYNC = 'realtime-lab-results'

function draw(holder: HTMLElement): void {
  const spec = JSON.parse(holder.dataset['chart'] ?? 'null') as ChartSpec | null
  if (spec === null) return
  const ink = getComputedStyle(holder).color
  const labels = spec.xLabels
  const grid = { stroke: 'rgba(128, 128, 128, 0.2)', width: 1 }
  const options: uPlot.Options = {
    width: Math.max(holder.clientWidth, 280),
    height: HEIGHT,
    scales: {
      x: {
        time: false,
        // 3 is uPlot's logarithmic scale, 1 its linear one.
        // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- uPlot's Distr is an ambient const enum, which isolatedModules cannot import
        distr: spec.xLog ? 3 : 1,
        ...(spec.xLog ? { log: 10 } : {}),
        // Categories sit half a step in from each edge.
        ...(labels === undefined
          ? {}
          : { range: (): uPlot.Range.MinMax => [-0.4, labels.length - 0.6] }),
      },
      // A metric with a natural zero starts there, so protocols compare by height.
      ...(spec.yFromZero === true
        ? { y: { range: (_chart, _min, max): uPlot.Range.MinMax => [0, max > 0 ? max * 1.08 : 1] } }
        : {}),
    },
    axes: [
      {
        label: spec.xLabel,
        stroke: ink,
        grid,
        ticks: grid,
        // A categorical axis: one tick per category, named.
        ...(labels === undefined
          ? {}
          : {
              splits: () => labels.map((_, index) => index),
              values: (_chart: uPlot, splits: number[]) => splits.map((at) => labels[at] ?? ''),
            }),
      },
      { label: spec.yLabel, stroke: ink, grid, ticks: grid },
    ],
    series: [
      {
        label: spec.xLabel,
        show: true,
        ...(labels === undefined
          ? {}
          : {
              value: (_chart: uPlot, at: number | null) =>
                at === null ? '–' : (labels[at] ?? '–'),
            }),
      },
      ...spec.lines.map((line) => ({
        label: line.label,
        stroke: line.colour,
        width: 2,
        spanGaps: true,
        points: { show: true, size: 5, fill: line.colour },
        ...(line.dashed === true ? { dash: [6, 4] } : {}),
        // The value at the cursor, with its unit; an invalid step says why.
        value: (_chart: uPlot, value: number | null, _series: number, at: number | null) => {
          if (value === null) return '–'
          const reason = at === null ? null : (line.invalid?.[at] ?? null)
          const shown = `${value.toLocaleString('en-GB', { maximumFractionDigits: 1 })} ${spec.yLabel}`
          return reason === null ? shown : `${shown} (invalid: ${reason})`
        },
      })),
    ],
    // The legend shows each line's value at the cursor (and at the last point otherwise).
    legend: { live: true },
    cursor: { sync: { key: CURSOR_SYNC }, points: { size: 8 } },
    plugins: [
      ...(spec.shaded.length > 0 ? [shadePlugin(spec.shaded)] : []),
      ...(spec.lines.some((line) => line.invalid?.some((reason) => reason !== null))
        ? [hollowPlugin(spec)]
        : []),
    ],
  }
  const chart = new uPlot(
    options,
    [spec.x, ...spec.lines.map((line) => line.values)] as uPlot.AlignedData,
    holder,
  )
  // The legend's marker draws each line as it is drawn: dashed for a dashed line.
  const markers = holder.querySelectorAll<HTMLElement>('.u-legend .u-series .u-marker')
  spec.lines.forEach((line, index) => {
    const marker = markers[index + 1]
    if (line.dashed === true && marker !== undefined) marker.style.borderBottomStyle = 'dashed'
  })
  holder.dataset['drawn'] = 'true'
  new ResizeObserver(() => {
    chart.setSize({ width: Math.max(holder.clientWidth, 280), height: HEIGHT })
  }).observe(holder)
}

for (const holder of document.querySelectorAll<HTMLElement>('[data-chart]')) draw(holder)
