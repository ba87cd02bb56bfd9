// The dynos' current state (the `dynos` of a /dynos answer: each dyno's latest memory
// sample, whatever the range), and the platform events of the range as a list: the
// legend of the charts' event markers.
import { describeEvent, eventKind } from './event-markers.js';

const mb = (v) => v.toFixed(1);

/** [key, header, text(row)] */
export const DYNO_COLUMNS = [
  ['dyno', 'dyno', (d) => d.dyno],
  ['process_type', 'type', (d) => d.process_type],
  ['memory_total_mb', 'memory (MB)', (d) => mb(d.memory_total_mb)],
  ['memory_rss_mb', 'RSS (MB)', (d) => mb(d.memory_rss_mb)],
  ['memory_swap_mb', 'swap (MB)', (d) => mb(d.memory_swap_mb)],
  ['memory_quota_mb', 'quota (MB)', (d) => mb(d.memory_quota_mb)],
  [
    'quota_pct',
    '% of quota',
    (d) => (d.memory_quota_mb > 0 ? ((100 * d.memory_total_mb) / d.memory_quota_mb).toFixed(0) : '–'),
  ],
  ['load_1m', 'load 1m', (d) => (d.load_1m === null ? '–' : d.load_1m.toFixed(2))],
  ['last_sample_at', 'last sample', (d) => new Date(d.last_sample_at).toLocaleTimeString()],
];

/** web.2 before web.10: by process type, then the number after the dot. */
function byDyno(a, b) {
  const [ta, na] = a.dyno.split('.');
  const [tb, nb] = b.dyno.split('.');
  return ta.localeCompare(tb) || Number(na) - Number(nb) || a.dyno.localeCompare(b.dyno);
}

export function renderDynoTable(table, dynos) {
  const head = document.createElement('tr');
  for (const [key, header] of DYNO_COLUMNS) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.dataset.col = key;
    th.textContent = header;
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  table.tBodies[0].replaceChildren(
    ...[...dynos].sort(byDyno).map((d) => {
      const tr = document.createElement('tr');
      tr.dataset.dyno = d.dyno;
      // over its quota the dyno swaps and logs R14 every 20 s
      if (d.memory_quota_mb > 0 && d.memory_total_mb > d.memory_quota_mb) tr.classList.add('over-quota');
      for (const [key, , text] of DYNO_COLUMNS) {
        const td = document.createElement('td');
        td.dataset.col = key;
        td.textContent = text(d);
        tr.append(td);
      }
      return tr;
    }),
  );
}

const EVENT_LIST_MAX = 12;

/** The newest events first, at most EVENT_LIST_MAX, then how many more the markers show. */
export function renderEventList(list, events) {
  const newest = [...events].sort((a, b) => b.time_ms - a.time_ms);
  const items = newest.slice(0, EVENT_LIST_MAX).map((e) => {
    const li = document.createElement('li');
    li.dataset.kind = eventKind(e.code);
    li.dataset.code = e.code;
    li.dataset.dyno = e.dyno;
    li.dataset.timeMs = String(e.time_ms);
    li.dataset.count = String(e.count);
    const time = document.createElement('time');
    time.dateTime = e.time;
    time.textContent = new Date(e.time_ms).toLocaleTimeString();
    const code = document.createElement('b');
    code.textContent = e.code;
    li.append(time, ' ', code, ` ${describeEvent(e.code)} · ${e.dyno}${e.count > 1 ? ` ×${e.count}` : ''}`);
    return li;
  });
  if (newest.length > EVENT_LIST_MAX) {
    const li = document.createElement('li');
    li.className = 'more';
    li.textContent = `and ${newest.length - EVENT_LIST_MAX} more (markers on the charts)`;
    items.push(li);
  }
  list.replaceChildren(...items);
}
