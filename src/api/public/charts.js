// The charts of a scope (the whole app, or one route), drawn with uPlot from one API answer.
// ROUTE_CHARTS read a /series answer: request rate by status class, p50/p95/p99, error rate,
// H-codes; dyno-charts.js defines the memory and load charts read from /dynos. Every chart
// of the page shares one cursor (uPlot's sync by x value) and, when the page passes it, one
// time axis and the platform events' markers (event-markers.js).
import uPlot from '/vendor/uplot/uPlot.esm.js';

export const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
export const PALETTE = () =>
  css('--codes')
    .split(',')
    .map((c) => c.trim());

const SYNC_KEY = 'routemeter';

/**
 * id, title, series (an array, or a function of the answer for series named by the data:
 * {key in data, label, color (a CSS variable or a colour), scale?, width?, dash?}), format.
 */
export const ROUTE_CHARTS = [
  {
    id: 'rate',
    title: 'requests by status class (rpm)',
    series: ['1xx', '2xx', '3xx', '4xx', '5xx'].map((c) => ({ key: `rpm.${c}`, label: c, color: `--c${c}` })),
    format: (v) => v.toFixed(1),
  },
  {
    id: 'latency',
    title: 'service time (ms)',
    series: [
      { key: 'p50_ms', label: 'p50', color: '--p50' },
      { key: 'p95_ms', label: 'p95', color: '--p95' },
      { key: 'p99_ms', label: 'p99', color: '--p99' },
    ],
    format: (v) => v.toFixed(0),
  },
  {
    id: 'errors',
    title: 'error rate (% 5xx)',
    series: [{ key: 'error_rate', label: 'error %', color: '--err', scale: 100 }],
    format: (v) => v.toFixed(2),
  },
  {
    id: 'codes',
    title: 'router codes (per step)',
    series: (answer) =>
      Object.keys(answer.data)
        .filter((k) => k.startsWith('codes.'))
        .map((key, i) => ({ key, label: key.slice(6), color: PALETTE()[i % PALETTE().length] })),
    format: (v) => v.toFixed(0),
    integer: true,
  },
];

/** The x range (s) of a series answer: its first to its last step, what every chart of the page shows. */
export function timeAxis(answer) {
  const start = Date.parse(answer.start_time) / 1000;
  const end = Date.parse(answer.end_time) / 1000;
  const last = end - answer.step_seconds;
  return last > start ? [start, last] : [start, end];
}

/** Holds the uPlot instances of one container and redraws them from series answers. */
export class ChartGroup {
  /** options: charts (default ROUTE_CHARTS), onFirstDraw, markers (an EventMarkers) */
  constructor(container, { charts = ROUTE_CHARTS, onFirstDraw, markers } = {}) {
    this.container = container;
    this.charts = charts;
    this.onFirstDraw = onFirstDraw;
    this.markers = markers;
    this.plots = new Map();
    /** [min, max] of the x scale (s), shared with the page's other charts; the data's when null */
    this.xRange = null;
    addEventListener('resize', () => this.resize());
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.clear());
  }

  clear() {
    for (const { plot } of this.plots.values()) plot.destroy();
    this.plots.clear();
    this.container.replaceChildren();
  }

  resize() {
    for (const { plot, box } of this.plots.values()) plot.setSize(size(box));
  }

  /** Redraws from an answer (/series or /dynos: Heroku Metrics shape), on `xRange` when given. */
  update(answer, xRange = null) {
    this.xRange = xRange;
    const n = answer.data[Object.keys(answer.data)[0]]?.length ?? 0;
    const start = Date.parse(answer.start_time) / 1000;
    const xs = Array.from({ length: n }, (_, i) => start + i * answer.step_seconds);
    const pending = [];
    for (const chart of this.charts) {
      const series = typeof chart.series === 'function' ? chart.series(answer) : chart.series;
      const signature = series.map((s) => s.key).join(',');
      const data = [
        xs,
        ...series.map((s) => (answer.data[s.key] ?? []).map((v) => (v === null ? null : v * (s.scale ?? 1)))),
      ];
      const entry = this.plots.get(chart.id);
      if (entry && entry.signature === signature) {
        entry.plot.setData(data);
        continue;
      }
      entry?.plot.destroy();
      const box = entry?.box ?? this.figure(chart.id);
      box.querySelector('h3').textContent =
        series.length === 0 ? `${chart.title}: none in range` : chart.title;
      box.querySelector('.uplot')?.remove();
      pending.push({ chart, series, data, box, signature });
    }
    // Every figure is in the grid before any is measured: a lone first figure would span the row.
    for (const { chart, series, data, box, signature } of pending) {
      const plot = new uPlot(options(chart, series, box, this), data, box);
      this.plots.set(chart.id, { plot, box, signature });
    }
  }

  figure(id) {
    const box = document.createElement('figure');
    box.className = 'chart';
    box.dataset.chart = id;
    box.append(document.createElement('h3'));
    this.container.append(box);
    return box;
  }
}

function size(box) {
  const width = Math.max(240, box.clientWidth || 400);
  return { width, height: Math.round(Math.min(420, Math.max(160, width * 0.4))) };
}

function options(chart, series, box, group) {
  // axis labels follow the page's type size, which grows on a wall screen
  const px = Math.round(Number.parseFloat(getComputedStyle(document.documentElement).fontSize) * 0.75);
  const axis = {
    stroke: css('--muted'),
    font: `${px}px system-ui, sans-serif`,
    size: px * 3.5,
    grid: { stroke: css('--grid'), width: 1 },
    ticks: { stroke: css('--grid') },
  };
  return {
    ...size(box),
    // one cursor for every chart on the page, matched by time (answers may differ in length)
    cursor: { drag: { x: false, y: false }, sync: { key: SYNC_KEY, setSeries: false, scales: ['x', null] } },
    scales: {
      x: { time: true, range: (_u, min, max) => group.xRange ?? [min, max] },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      axis,
      {
        ...axis,
        // counts have whole ticks only; the label column is as wide as its longest label
        ...(chart.integer ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] } : {}),
        values: (_u, ticks) => ticks.map((t) => chart.format(t)),
        // uPlot re-runs its layout while sizes change: keep the answer after the first cycles
        // (its documented pattern), or a label-dependent size can oscillate
        size: (u, values, axisIdx, cycleNum) =>
          cycleNum > 1
            ? u.axes[axisIdx]._size
            : Math.max(px * 3, ...(values ?? []).map((v) => String(v).length * px * 0.62 + px * 1.5)),
      },
    ],
    series: [
      {},
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color.startsWith('--') ? css(s.color) : s.color,
        width: s.width ?? 2,
        ...(s.dash ? { dash: s.dash } : {}),
        points: { show: false },
        value: (_u, v) => (v === null ? '–' : chart.format(v)),
      })),
    ],
    plugins: group.markers ? [group.markers.plugin()] : [],
    hooks: { draw: [() => group.onFirstDraw?.()] },
  };
}
