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

function draw(holder: HTMLElement): void {
  const spec = JSON.parse(holder.dataset['chart'] ?? 'null') as ChartSpec | null
  if (spec === null) return
  const ink = getComputedStyle(holder).color
  const grid = { stroke: 'rgba(128, 128, 128, 0.2)', width: 1 }
  const options: uPlot.Options = {
    width: Math.max(holder.clientWidth, 280),
    height: HEIGHT,
    scales: { x: { time: false, distr: spec.xLog ? 3 : 1, ...(spec.xLog ? { log: 10 } : {}) } },
    axes: [
      { label: spec.xLabel, stroke: ink, grid, ticks: grid },
      { label: spec.yLabel, stroke: ink, grid, ticks: grid },
    ],
    series: [
      { label: spec.xLabel, show: true },
      ...spec.lines.map((line) => ({
        label: line.label,
        stroke: line.colour,
        width: 2,
        spanGaps: true,
        points: { show: true, size: 5 },
        ...(line.dashed === true ? { dash: [6, 4] } : {}),
      })),
    ],
    // A static legend: the page is read, not hovered, and live values would only add noise.
    legend: { live: false },
    plugins: spec.shaded.length > 0 ? [shadePlugin(spec.shaded)] : [],
  }
  const chart = new uPlot(
    options,
    [spec.x, ...spec.lines.map((line) => line.values)] as uPlot.AlignedData,
    holder,
  )
  holder.dataset['drawn'] = 'true'
  new ResizeObserver(() => {
    chart.setSize({ width: Math.max(holder.clientWidth, 280), height: HEIGHT })
  }).observe(holder)
}

for (const holder of document.querySelectorAll<HTMLElement>('[data-chart]')) draw(holder)
