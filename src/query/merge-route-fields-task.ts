import { type MergeOptions, mergeRouteFields, type WindowHash } from './merge-route-fields.js';
import type { RouteStats } from './route-stats.js';

/**
 * A piscina task entry for the read-side merge: `new Piscina({ filename:
 * new URL('./merge-route-fields-task.js', import.meta.url).href })`, then
 * `pool.run({ hashes, options })` with what `readRouteWindows` returned. Window
 * values cross the thread boundary as Uint8Arrays (structured clone), which the
 * decoders accept as they are.
 */
export interface MergeTask {
  hashes: WindowHash[];
  options: MergeOptions;
}

export default function mergeRouteFieldsTask(task: MergeTask): RouteStats[] {
  return mergeRouteFields(task.hashes, task.options);
}
