/**
 * The steps of a series, shared by querySeries (routes) and queryDynos (dynos) so that
 * both answer on the same time axis: the first step starts at `fromMs` aligned down to
 * the step, and there are enough steps to reach `toMs`.
 *
 *   fromMs = 04:00:17, toMs = 04:05:00, step 1m → 04:00, 04:01, … 04:04 (5 steps),
 *   start_time 04:00:00, end_time 04:05:00
 */
export interface StepLayout {
  startMs: number;
  stepMs: number;
  steps: number;
}

export function stepLayout(fromMs: number, toMs: number, stepSeconds: number): StepLayout {
  const stepMs = stepSeconds * 1000;
  const startMs = Math.floor(fromMs / stepMs) * stepMs;
  return { startMs, stepMs, steps: Math.max(1, Math.ceil((toMs - startMs) / stepMs)) };
}

/** The step a window starting at `windowStartSeconds` folds into, or -1 outside the series. */
export function stepOf(layout: StepLayout, windowStartSeconds: number): number {
  const b = Math.floor((windowStartSeconds * 1000 - layout.startMs) / layout.stepMs);
  return b >= 0 && b < layout.steps ? b : -1;
}

/** `start_time`, `end_time`, `step`, `step_seconds` of an answer (Heroku metrics API style). */
export function stepHeader(layout: StepLayout, stepSeconds: number) {
  return {
    start_time: new Date(layout.startMs).toISOString(),
    end_time: new Date(layout.startMs + layout.steps * layout.stepMs).toISOString(),
    step: formatStep(stepSeconds),
    step_seconds: stepSeconds,
  };
}

/** 10 → "10s", 60 → "1m", 3600 → "1h", 90 → "90s". */
export function formatStep(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** Rates and means to 4 decimals: enough for a chart, and stable for ETags. */
export function round4(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
