// The dyno charts under the app's response-time charts, read from a /dynos answer
// (log-runtime-metrics samples folded to the same steps as /series): memory per process
// type (mean and max of memory_total over its dynos' samples, the quota as a dashed line)
// and load_1m (mean and max). The first process type gets the role colours; others take
// the palette, with the same dashes for the same role.
import { PALETTE } from './charts.js';

const colour = (i, role) => (i === 0 ? role : PALETTE()[i % PALETTE().length]);

export const DYNO_CHARTS = [
  {
    id: 'memory',
    title: 'dyno memory (MB): mean and max total, quota',
    series: (answer) =>
      answer.process_types.flatMap((t, i) => [
        { key: `memory_total_mean_mb.${t}`, label: `${t} mean`, color: colour(i, '--mem-mean') },
        {
          key: `memory_total_max_mb.${t}`,
          label: `${t} max`,
          color: colour(i, '--mem-max'),
          width: 1.5,
          dash: [3, 3],
        },
        {
          key: `memory_quota_mb.${t}`,
          label: `${t} quota`,
          color: colour(i, '--quota'),
          width: 1.5,
          dash: [10, 5],
        },
      ]),
    format: (v) => v.toFixed(1),
  },
  {
    id: 'load',
    title: 'dyno load average (1 min)',
    series: (answer) =>
      answer.process_types.flatMap((t, i) => [
        { key: `load_1m_mean.${t}`, label: `${t} mean`, color: colour(i, '--load-mean') },
        {
          key: `load_1m_max.${t}`,
          label: `${t} max`,
          color: colour(i, '--load-max'),
          width: 1.5,
          dash: [3, 3],
        },
      ]),
    format: (v) => v.toFixed(2),
  },
];
