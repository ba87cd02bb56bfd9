// The dashboard: app picker, range presets, auto-refresh, the app's charts, its dynos'
// memory and load with platform events as markers on every chart (one time axis, one
// cursor), a chosen route's charts and the route table. State lives in the URL fragment
// (#app=…&range=6h&route=…) so a wall screen's URL reopens the same view.
import { AuthRequired, getJson, setToken, takeTokenFromHash } from './api-client.js';
import { ChartGroup, timeAxis } from './charts.js';
import { DYNO_CHARTS } from './dyno-charts.js';
import { renderDynoTable, renderEventList } from './dyno-table.js';
import { EventMarkers } from './event-markers.js';
import { RouteTable } from './route-table.js';

const RANGES = { '1h': '-1h', '6h': '-6h', '24h': '-24h', '7d': '-7d' };
const REFRESH_MS = 10_000;

const $ = (id) => document.getElementById(id);
const state = { app: null, range: '1h', route: null };
let firstChartMarked = false;
const markFirstChart = () => {
  if (firstChartMarked) return;
  firstChartMarked = true;
  performance.mark('routemeter:first-chart');
};

const markers = new EventMarkers();
const appCharts = new ChartGroup($('app-charts'), {
  onFirstDraw: () => state.app && markFirstChart(),
  markers,
});
const dynoCharts = new ChartGroup($('dyno-charts'), { charts: DYNO_CHARTS, markers });
const routeCharts = new ChartGroup($('route-charts'), { markers });
const NO_DYNO_METRICS =
  'no dyno metrics yet — enable log-runtime-metrics (heroku labs:enable log-runtime-metrics) and restart the app’s dynos';
const table = new RouteTable($('routes'), (route) => {
  state.route = route;
  writeHash();
  void refresh();
});

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  if (p.get('app')) state.app = p.get('app');
  if (p.get('range') in RANGES) state.range = p.get('range');
  state.route = p.get('route') || null;
}

function writeHash() {
  const p = new URLSearchParams();
  if (state.app) p.set('app', state.app);
  p.set('range', state.range);
  if (state.route) p.set('route', state.route);
  history.replaceState(null, '', `#${p}`);
}

function showStatus(text) {
  $('status').textContent = text;
}

async function loadApps() {
  const { apps } = await getJson('/api/v1/apps', { since: '-5m' }); // cheap: 30 short windows per app
  const picker = $('app-picker');
  const names = apps.map((a) => a.app);
  if (state.app && !names.includes(state.app)) names.unshift(state.app);
  picker.replaceChildren(
    ...names.map((name) => {
      const a = apps.find((x) => x.app === name);
      const option = new Option(a ? `${name} (${a.rpm.toFixed(0)} rpm)` : name, name);
      return option;
    }),
  );
  if (!state.app && apps.length > 0) state.app = apps.sort((a, b) => b.requests - a.requests)[0].app;
  picker.value = state.app ?? '';
}

let inFlight = null;
async function refresh() {
  if (inFlight) return inFlight;
  inFlight = (async () => {
    try {
      await loadApps();
      if (!state.app) {
        showStatus('no apps with data yet');
        return;
      }
      const since = RANGES[state.range];
      $('app-title').textContent = `${state.app} — last ${state.range}`;
      const app = encodeURIComponent(state.app);
      const [routes, series, routeSeries, dynos] = await Promise.all([
        getJson(`/api/v1/apps/${app}/routes`, { since }),
        getJson(`/api/v1/apps/${app}/series`, { since }),
        state.route ? getJson(`/api/v1/apps/${app}/series`, { since, route: state.route }) : null,
        // the dyno part must not take the route charts down with it
        getJson(`/api/v1/apps/${app}/dynos`, { since }).catch((err) => {
          if (err instanceof AuthRequired) throw err;
          return { error: err.message };
        }),
      ]);
      $('error-definition').textContent =
        `error rate: ${routes.error_rate_definition}; rpm over the ${Math.round(routes.covered_seconds)} s the data covers`;
      table.update(routes.routes);
      table.select(state.route);
      // every chart on the response-time charts' axis, whatever the step each answer has
      const axis = timeAxis(series);
      appCharts.update(series, axis);
      showDynos(dynos, axis);
      $('route-section').hidden = !routeSeries;
      if (routeSeries) {
        $('route-title').textContent = `${state.route} — last ${state.range}`;
        routeCharts.update(routeSeries, axis);
      }
      showStatus(`updated ${new Date().toLocaleTimeString()} · step ${series.step}`);
    } catch (err) {
      if (err instanceof AuthRequired) {
        $('login').hidden = false;
        showStatus('sign in with an API token');
      } else {
        showStatus(`error: ${err.message}`);
      }
    } finally {
      inFlight = null;
    }
  })();
  return inFlight;
}

/**
 * The dyno section from a /dynos answer. No samples, dynos or events at all means the app
 * sends no runtime metrics (or no platform topic is read): a note says how to turn them
 * on, instead of two empty charts.
 */
function showDynos(answer, axis) {
  const note = $('dyno-note');
  const failed = answer.error !== undefined;
  const hasSeries = !failed && answer.process_types.length > 0;
  const hasDynos = !failed && answer.dynos.length > 0;
  markers.set(failed ? [] : answer.events);
  note.hidden = hasSeries;
  note.textContent = failed
    ? `dyno metrics unavailable: ${answer.error}`
    : hasDynos || answer.events.length > 0
      ? `no dyno memory or load samples in the last ${state.range}`
      : NO_DYNO_METRICS;
  $('dyno-charts').hidden = !hasSeries;
  if (hasSeries) dynoCharts.update(answer, axis);
  else dynoCharts.clear();
  $('dyno-events').hidden = failed || answer.events.length === 0;
  renderEventList($('dyno-events'), failed ? [] : answer.events);
  $('dyno-table-wrap').hidden = !hasDynos;
  renderDynoTable($('dynos'), hasDynos ? answer.dynos : []);
}

function pressRange() {
  for (const b of document.querySelectorAll('#ranges button'))
    b.setAttribute('aria-pressed', String(b.dataset.range === state.range));
}

takeTokenFromHash();
readHash();
pressRange();
$('app-picker').addEventListener('change', (e) => {
  state.app = e.target.value;
  state.route = null;
  writeHash();
  routeCharts.clear();
  void refresh();
});
for (const b of document.querySelectorAll('#ranges button')) {
  b.addEventListener('click', () => {
    state.range = b.dataset.range;
    pressRange();
    writeHash();
    void refresh();
  });
}
$('route-close').addEventListener('click', () => {
  state.route = null;
  writeHash();
  routeCharts.clear();
  void refresh();
});
$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken($('token').value);
  $('login').hidden = true;
  void refresh();
});
setInterval(() => {
  if ($('auto-refresh').checked && !document.hidden) void refresh();
}, REFRESH_MS);
void refresh();
