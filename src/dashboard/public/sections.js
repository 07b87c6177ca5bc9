// One renderer per card: a chart, then the same figures as a table with stable data-testid attributes
// (`funnel-sms-delivered`, `cascade-whatsapp>sms-delivered`, `triggers-<id>-converted`, …).
import { ACCENT, CONVERTED, STATUS_COLORS, chartBox, chartsAvailable, countAxis, draw } from './charts.js';
import { dataTable, el, tag } from './dom.js';
import { channelName, count, money, percent, raw, seconds, titleCase } from './format.js';

export const NO_MESSAGES = 'No messages in this range.';

const FUNNEL_STEPS = ['accepted', 'sent', 'delivered', 'read', 'failed'];
const FUNNEL_COLUMNS = [...FUNNEL_STEPS, 'expired'];
/** Final statuses in reading order; any other outcome the API adds follows, alphabetically. */
const OUTCOME_ORDER = ['delivered', 'read', 'failed', 'expired', 'rejected', 'canceled'];

const channelKey = (row) => (row.key === null || row.key === undefined ? 'none' : String(row.key));
const countCell = (testid, n) => ({ testid, value: raw(n), text: count(n) });

/** A line where a chart would be, when there is nothing to draw. */
const note = (text) => el('p', { class: 'empty chart-note', text });

/** Shown where a chart would be when Chart.js could not load; the table still has every figure. */
const noCharts = () => note('Charts are unavailable; the table has every figure.');

function withChart(section, chart, table, config) {
  if (!chartsAvailable()) return section.ready(noCharts(), table);
  section.ready(chart.box, table);
  draw(chart.canvas, config);
}

export function renderFunnel(section, rows) {
  if (!rows.length) return section.empty(NO_MESSAGES);
  const table = dataTable({
    caption: 'Delivery funnel per channel',
    testid: 'funnel-table',
    columns: [
      { label: 'Channel' },
      ...FUNNEL_COLUMNS.map((step) => ({ label: titleCase(step), numeric: true })),
      { label: 'Delivery rate', numeric: true },
      { label: 'Fallback rate', numeric: true },
    ],
    rows: rows.map((row) => {
      const key = channelKey(row);
      return {
        header: channelName(row.key),
        testid: `funnel-${key}`,
        cells: [
          ...FUNNEL_COLUMNS.map((step) => countCell(`funnel-${key}-${step}`, row[step])),
          { testid: `funnel-${key}-deliveryRate`, value: raw(row.deliveryRate), text: percent(row.deliveryRate) },
          { testid: `funnel-${key}-fallbackRate`, value: raw(row.fallbackRate), text: percent(row.fallbackRate) },
        ],
      };
    }),
  });
  const chart = chartBox('funnel-chart', 'Bar chart: messages accepted, sent, delivered, read and failed per channel');
  withChart(section, chart, table, {
    type: 'bar',
    data: {
      labels: rows.map((row) => channelName(row.key)),
      datasets: FUNNEL_STEPS.map((step) => ({
        label: titleCase(step),
        data: rows.map((row) => row[step]),
        backgroundColor: STATUS_COLORS[step],
      })),
    },
    options: { scales: { x: { grid: { display: false } }, y: countAxis('Messages') } },
  });
}

export function renderTiming(section, rows) {
  if (!rows.length) return section.empty(NO_MESSAGES);
  const table = dataTable({
    caption: 'Median time to deliver per channel',
    testid: 'timing-table',
    columns: [{ label: 'Channel' }, { label: 'Median time to deliver', numeric: true }],
    rows: rows.map((row) => ({
      header: channelName(row.key),
      cells: [
        {
          testid: `timing-${channelKey(row)}-medianSecondsToDeliver`,
          value: raw(row.medianSecondsToDeliver),
          text: seconds(row.medianSecondsToDeliver),
        },
      ],
    })),
  });
  if (rows.every((row) => row.medianSecondsToDeliver === null || row.medianSecondsToDeliver === undefined)) {
    return section.ready(note('Nothing was delivered in this range.'), table);
  }
  const chart = chartBox('timing-chart', 'Bar chart: median seconds to deliver per channel', 220);
  withChart(section, chart, table, {
    type: 'bar',
    data: {
      labels: rows.map((row) => channelName(row.key)),
      datasets: [
        {
          label: 'Median seconds to deliver',
          data: rows.map((row) => row.medianSecondsToDeliver),
          backgroundColor: ACCENT,
        },
      ],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: {
        x: { grid: { display: false } },
        y: { beginAtZero: true, title: { display: true, text: 'Seconds' } },
      },
    },
  });
}

export function renderCost(section, rows) {
  if (!rows.length) return section.empty(NO_MESSAGES);
  const currencies = [...new Set(rows.map((row) => row.cost?.currency).filter(Boolean))];
  const table = dataTable({
    caption: 'Cost per channel',
    testid: 'cost-table',
    columns: [{ label: 'Channel' }, { label: 'Cost', numeric: true }],
    rows: rows.map((row) => ({
      header: channelName(row.key),
      cells: [{ testid: `cost-${channelKey(row)}-amount`, value: raw(row.cost?.amount), text: money(row.cost) }],
    })),
  });
  // An empty chart would look broken: say why there is nothing to draw.
  if (rows.every((row) => Number(row.cost?.amount ?? 0) === 0)) {
    const free = currencies.length === 1 ? `0 ${currencies[0]}` : 'nothing';
    return section.ready(note(`Every send in this range cost ${free} (sandbox sends are free).`), table);
  }
  const chart = chartBox('cost-chart', 'Bar chart: cost per channel', 220);
  withChart(section, chart, table, {
    type: 'bar',
    data: {
      labels: rows.map((row) => channelName(row.key)),
      datasets: [
        {
          label: currencies.length === 1 ? `Cost (${currencies[0]})` : 'Cost',
          data: rows.map((row) => Number(row.cost?.amount ?? 0)),
          backgroundColor: '#0ea5e9',
        },
      ],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: {
        x: { grid: { display: false } },
        y: { beginAtZero: true, title: { display: currencies.length === 1, text: currencies[0] ?? '' } },
      },
    },
  });
}

export function renderCascades(section, rows) {
  if (!rows.length) return section.empty(NO_MESSAGES);
  const paths = new Map();
  for (const row of rows) {
    const key = row.path.join('>');
    const path = paths.get(key) ?? { key, channels: row.path, outcomes: new Map(), total: 0 };
    path.outcomes.set(row.outcome, (path.outcomes.get(row.outcome) ?? 0) + row.count);
    path.total += row.count;
    paths.set(key, path);
  }
  const seen = new Set(rows.map((row) => row.outcome));
  const outcomes = [
    ...OUTCOME_ORDER.filter((o) => seen.has(o)),
    ...[...seen].filter((o) => !OUTCOME_ORDER.includes(o)).sort(),
  ];
  const ordered = [...paths.values()].sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  const label = (path) => (path.channels.length ? path.channels.map(channelName).join(' → ') : 'No attempt');
  const table = dataTable({
    caption: 'Cascade paths by outcome',
    testid: 'cascades-table',
    columns: [
      { label: 'Path' },
      ...outcomes.map((o) => ({ label: titleCase(o), numeric: true })),
      { label: 'Total', numeric: true },
    ],
    rows: ordered.map((path) => ({
      header: label(path),
      testid: `cascade-${path.key}`,
      cells: [
        ...outcomes.map((o) => countCell(`cascade-${path.key}-${o}`, path.outcomes.get(o) ?? 0)),
        countCell(`cascade-${path.key}-total`, path.total),
      ],
    })),
  });
  const chart = chartBox(
    'cascades-chart',
    'Stacked bar chart: messages per cascade path, by outcome',
    Math.max(160, 70 + ordered.length * 44),
  );
  withChart(section, chart, table, {
    type: 'bar',
    data: {
      labels: ordered.map(label),
      datasets: outcomes.map((o) => ({
        label: titleCase(o),
        data: ordered.map((path) => path.outcomes.get(o) ?? 0),
        backgroundColor: STATUS_COLORS[o] ?? '#64748b',
      })),
    },
    options: {
      indexAxis: 'y',
      scales: { x: { ...countAxis('Messages'), stacked: true }, y: { stacked: true, grid: { display: false } } },
    },
  });
}

export function renderConversion(section, rows) {
  if (!rows.length) return section.empty('No triggers or broadcasts in this workspace yet.');
  const ordered = [...rows].sort(
    (a, b) => a.type.localeCompare(b.type) || b.sent - a.sent || a.name.localeCompare(b.name),
  );
  const reasons = (row) =>
    Object.entries(row.suppressedByReason ?? {})
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason.replaceAll('_', ' ')} ${count(n)}`)
      .join(' · ');
  const figures = ['fired', 'suppressed', 'sent', 'delivered', 'failed', 'converted'];
  const table = dataTable({
    caption: 'Triggers and broadcasts: sends and conversions',
    testid: 'conversion-table',
    columns: [
      { label: 'Trigger or broadcast' },
      { label: 'Type' },
      ...figures.map((f) => ({ label: titleCase(f), numeric: true })),
      { label: 'Conversion rate', numeric: true },
    ],
    rows: ordered.map((row) => ({
      header: row.name,
      testid: `triggers-${row.id}`,
      cells: [
        { testid: `triggers-${row.id}-type`, value: row.type, content: tag(row.type, row.type), numeric: false },
        ...figures.map((f) => ({
          ...countCell(`triggers-${row.id}-${f}`, row[f]),
          note: f === 'suppressed' ? reasons(row) : null,
        })),
        {
          testid: `triggers-${row.id}-conversionRate`,
          value: raw(row.conversionRate),
          text: percent(row.conversionRate),
        },
      ],
    })),
  });
  if (!ordered.some((row) => row.fired > 0 || row.sent > 0)) {
    return section.ready(note('No trigger or broadcast fired in this range.'), table);
  }
  const chart = chartBox(
    'conversion-chart',
    'Bar chart: messages sent and converted per trigger and broadcast, labelled with the conversion rate',
    Math.max(180, 80 + ordered.length * 64),
  );
  withChart(section, chart, table, {
    type: 'bar',
    data: {
      // Two-line labels: the name, then what it is and how well it converted.
      labels: ordered.map((row) => [row.name, `${row.type} · ${percent(row.conversionRate)} converted`]),
      datasets: [
        { label: 'Sent', data: ordered.map((row) => row.sent), backgroundColor: '#93c5fd' },
        { label: 'Converted', data: ordered.map((row) => row.converted), backgroundColor: CONVERTED },
      ],
    },
    options: {
      indexAxis: 'y',
      datasets: { bar: { categoryPercentage: 0.7, barPercentage: 0.9 } },
      scales: { x: countAxis('Messages'), y: { grid: { display: false } } },
    },
  });
}
