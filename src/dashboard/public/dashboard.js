/* global document, sessionStorage -- a browser module (eslint.config.js sets Node's globals only) */
// The dashboard page: a pasted API key and a date range in, Herald's three report endpoints out.
import { ApiError, getReport } from './api.js';
import { destroyCharts } from './charts.js';
import { lastDays, longDay, rangeQuery } from './dates.js';
import { Section } from './dom.js';
import { renderCascades, renderConversion, renderCost, renderFunnel, renderTiming } from './sections.js';

/** sessionStorage, not localStorage: the key is forgotten when the tab closes. */
const STORAGE_KEY = 'herald.dashboard.apiKey';
const DEFAULT_DAYS = 7;

const main = document.getElementById('dashboard');
const form = document.getElementById('controls');
const keyInput = document.getElementById('api-key');
const fromInput = document.getElementById('from');
const toInput = document.getElementById('to');
const alertBox = document.getElementById('alert');
const statusLine = document.getElementById('status');

const sections = Object.fromEntries(
  ['funnel', 'timing', 'cost', 'cascades', 'conversion'].map((id) => [id, new Section(id, destroyCharts)]),
);
/** Which report feeds which cards. */
const REPORTS = [
  {
    path: 'v1/reports/summary',
    params: { groupBy: 'channel' },
    cards: { funnel: renderFunnel, timing: renderTiming, cost: renderCost },
  },
  { path: 'v1/reports/cascades', params: {}, cards: { cascades: renderCascades } },
  { path: 'v1/reports/triggers', params: {}, cards: { conversion: renderConversion } },
];

let inFlight = null;

function showAlert(message) {
  alertBox.textContent = message;
  alertBox.hidden = !message;
}

function setState(state, status) {
  main.dataset.state = state;
  statusLine.textContent = status;
}

async function load() {
  const key = keyInput.value.trim();
  if (!key) {
    showAlert('Paste an API key first.');
    keyInput.focus();
    return;
  }
  const range = rangeQuery(fromInput.value, toInput.value);
  if (range.error) {
    showAlert(range.error);
    fromInput.focus();
    return;
  }
  sessionStorage.setItem(STORAGE_KEY, key);
  showAlert('');
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  setState('loading', 'Loading…');
  for (const section of Object.values(sections)) section.loading();

  const answers = await Promise.allSettled(
    REPORTS.map((report) => getReport(report.path, { ...range.query, ...report.params }, key, controller.signal)),
  );
  if (controller.signal.aborted) return;
  inFlight = null;

  // A bad key fails every report the same way: say it once, in the API's own words.
  const unauthorized = answers.find(
    (a) => a.status === 'rejected' && a.reason instanceof ApiError && a.reason.status === 401,
  );
  if (unauthorized) {
    sessionStorage.removeItem(STORAGE_KEY);
    for (const section of Object.values(sections)) section.idle();
    showAlert(unauthorized.reason.message);
    setState('error', '');
    keyInput.focus();
    return;
  }

  REPORTS.forEach((report, i) => {
    const answer = answers[i];
    for (const [id, render] of Object.entries(report.cards)) {
      if (answer.status === 'fulfilled') render(sections[id], answer.value);
      else sections[id].error(answer.reason?.message ?? String(answer.reason));
    }
  });
  const time = new Date().toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  setState('ready', `Showing ${longDay(fromInput.value)} – ${longDay(toInput.value)} · updated ${time}`);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});

document.getElementById('forget-key').addEventListener('click', () => {
  inFlight?.abort();
  sessionStorage.removeItem(STORAGE_KEY);
  keyInput.value = '';
  showAlert('');
  for (const section of Object.values(sections)) section.idle();
  setState('idle', 'The key was removed from this tab.');
  keyInput.focus();
});

const initial = lastDays(DEFAULT_DAYS);
fromInput.value = initial.from;
toInput.value = initial.to;
for (const section of Object.values(sections)) section.idle();
const remembered = sessionStorage.getItem(STORAGE_KEY);
if (remembered) {
  keyInput.value = remembered;
  void load();
} else {
  keyInput.focus();
}
