// Platform events (R14, restarts, crashes…) as vertical markers on every chart of the app,
// on the charts' shared time axis. One EventMarkers holds the events of the app and range
// shown; every uPlot created with its plugin draws them as DOM elements in its overlay
// (`u.over`, CSS pixels over the plotting area), so a person can hover one for its tooltip
// and a test can read code, dyno and time from the DOM. Events closer than MERGE_PX on
// the axis share one marker (an R14 on five dynos in one window is one line).

const MERGE_PX = 6;
/** a flag's label needs about this much room (px per character, plus padding and offset) */
const FLAG_CHAR_PX = 7;
const FLAG_PAD_PX = 14;

/** Heroku's names for the codes (Dev Center "Error Codes"); restart and crash are state changes. */
const CODE_NAMES = {
  R10: 'boot timeout',
  R12: 'exit timeout',
  R13: 'attach error',
  R14: 'memory quota exceeded',
  R15: 'memory quota vastly exceeded',
  R16: 'detached',
  R17: 'checksum error',
  R99: 'platform error',
  L10: 'drain buffer overflow',
  L11: 'tail buffer overflow',
  L12: 'local buffer overflow',
  L13: 'local delivery error',
  L14: 'certificate validation error',
  L15: 'tail buffer temporarily unavailable',
  restart: 'dyno restarted',
  crash: 'dyno crashed',
};

/** The marker's colour class: memory, restart, crash (failures) or log (L-codes, others). */
export function eventKind(code) {
  if (code === 'R14' || code === 'R15') return 'memory';
  if (code === 'restart') return 'restart';
  if (code === 'crash' || /^R\d+$/.test(code)) return 'crash';
  return 'log';
}

export function describeEvent(code) {
  return CODE_NAMES[code] ?? code;
}

const timeText = (ms) =>
  new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export class EventMarkers {
  constructor() {
    this.events = [];
    this.plots = new Set();
  }

  /** Replaces the events (the `events` of a /dynos answer) and redraws every chart's markers. */
  set(events) {
    this.events = [...events].sort((a, b) => a.time_ms - b.time_ms);
    for (const u of this.plots) this.render(u);
  }

  /** A uPlot plugin: markers are redrawn after each draw (new data, resize). */
  plugin() {
    return {
      hooks: {
        ready: [(u) => this.plots.add(u)],
        draw: [(u) => this.render(u)],
        destroy: [(u) => this.plots.delete(u)],
      },
    };
  }

  render(u) {
    let layer = u.over.querySelector('.event-markers');
    if (!layer) {
      layer = document.createElement('div');
      layer.className = 'event-markers';
      u.over.append(layer);
    }
    const [min, max] = [u.scales.x.min, u.scales.x.max];
    const groups = [];
    for (const e of this.events) {
      const t = e.time_ms / 1000;
      if (min === undefined || t < min || t > max) continue;
      const left = u.valToPos(t, 'x');
      const last = groups.at(-1);
      if (last && left - last.left < MERGE_PX) last.events.push(e);
      else groups.push({ left, events: [e] });
    }
    // a marker closer than the previous label's width gets a bare flag (still hoverable)
    let freeFrom = Number.NEGATIVE_INFINITY;
    layer.replaceChildren(
      ...groups.map((g) => {
        const el = marker(g, g.left >= freeFrom);
        const text = el.firstChild.textContent;
        if (text !== '') freeFrom = g.left + text.length * FLAG_CHAR_PX + FLAG_PAD_PX;
        return el;
      }),
    );
  }
}

function marker({ left, events }, labelled) {
  const codes = [...new Set(events.map((e) => e.code))];
  const el = document.createElement('div');
  el.className = 'event-marker';
  el.dataset.kind = eventKind(
    codes.find((c) => eventKind(c) === 'crash') ?? codes.find((c) => eventKind(c) === 'memory') ?? codes[0],
  );
  el.dataset.timeMs = String(events[0].time_ms);
  el.dataset.codes = codes.join(',');
  el.dataset.dynos = [...new Set(events.map((e) => e.dyno))].join(',');
  el.style.left = `${left}px`;
  el.title = events
    .map(
      (e) =>
        `${timeText(e.time_ms)} ${e.code} (${describeEvent(e.code)}) ${e.dyno}${e.count > 1 ? ` ×${e.count}` : ''}`,
    )
    .join('\n');
  el.setAttribute('aria-label', el.title);
  const flag = document.createElement('span');
  flag.title = el.title;
  flag.className = 'event-flag';
  if (labelled) flag.textContent = codes.length === 1 ? codes[0] : `${codes[0]}+${codes.length - 1}`;
  el.append(flag);
  return el;
}
