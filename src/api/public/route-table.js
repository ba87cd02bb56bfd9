// The sortable route table: the API's columns, units in the headers.

const ms = (v) => (v === null ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const int = (v) => String(v);

/** [key, header, value(row) for sorting, text(row)] */
export const COLUMNS = [
  ['route', 'route', (r) => r.route, (r) => r.route],
  ['requests', 'req', (r) => r.requests, (r) => int(r.requests)],
  ['rpm', 'rpm (req/min)', (r) => r.rpm, (r) => r.rpm.toFixed(1)],
  ['avg_ms', 'avg (ms)', (r) => r.avg_ms ?? -1, (r) => ms(r.avg_ms)],
  ['p50_ms', 'p50 (ms)', (r) => r.p50_ms ?? -1, (r) => ms(r.p50_ms)],
  ['p95_ms', 'p95 (ms)', (r) => r.p95_ms ?? -1, (r) => ms(r.p95_ms)],
  ['p99_ms', 'p99 (ms)', (r) => r.p99_ms ?? -1, (r) => ms(r.p99_ms)],
  ['max_ms', 'max (ms)', (r) => r.max_ms ?? -1, (r) => ms(r.max_ms)],
  ['2xx', '2xx', (r) => r.status['2xx'], (r) => int(r.status['2xx'])],
  ['3xx', '3xx', (r) => r.status['3xx'], (r) => int(r.status['3xx'])],
  ['4xx', '4xx', (r) => r.status['4xx'], (r) => int(r.status['4xx'])],
  ['5xx', '5xx', (r) => r.status['5xx'], (r) => int(r.status['5xx'])],
  ['error_rate', 'err (% 5xx)', (r) => r.error_rate, (r) => (r.error_rate * 100).toFixed(2)],
  [
    'codes',
    'codes',
    (r) => r.codes.length,
    (r) =>
      r.codes
        .slice(0, 3)
        .map((c) => `${c.code}×${c.count}`)
        .join(' '),
  ],
];

export class RouteTable {
  constructor(table, onSelect) {
    this.table = table;
    this.onSelect = onSelect;
    this.sort = { key: 'requests', dir: -1 };
    this.rows = [];
    this.selected = null;
    const tr = document.createElement('tr');
    for (const [key, header] of COLUMNS) {
      const th = document.createElement('th');
      th.textContent = header;
      th.dataset.col = key;
      th.scope = 'col';
      th.addEventListener('click', () => {
        this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : key === 'route' ? 1 : -1 };
        this.render();
      });
      tr.append(th);
    }
    table.tHead.replaceChildren(tr);
  }

  update(rows) {
    this.rows = rows;
    this.render();
  }

  select(route) {
    this.selected = route;
    this.render();
  }

  render() {
    const column = COLUMNS.find(([key]) => key === this.sort.key);
    const value = column[2];
    const sorted = [...this.rows].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      return (x < y ? -1 : x > y ? 1 : 0) * this.sort.dir || b.requests - a.requests;
    });
    for (const th of this.table.tHead.rows[0].cells)
      th.setAttribute(
        'aria-sort',
        th.dataset.col === this.sort.key ? (this.sort.dir < 0 ? 'descending' : 'ascending') : 'none',
      );
    const body = this.table.tBodies[0];
    body.replaceChildren(
      ...sorted.map((r) => {
        const tr = document.createElement('tr');
        tr.dataset.route = r.route;
        tr.setAttribute('aria-selected', String(r.route === this.selected));
        for (const [key, , , text] of COLUMNS) {
          const td = document.createElement('td');
          td.dataset.col = key;
          td.textContent = text(r);
          tr.append(td);
        }
        tr.addEventListener('click', () => this.onSelect(r.route));
        return tr;
      }),
    );
    if (sorted.length === 0) {
      const tr = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = COLUMNS.length;
      td.textContent = 'no requests in this range';
      tr.append(td);
      body.append(tr);
    }
  }
}
