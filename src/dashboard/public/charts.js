/* global document, getComputedStyle -- a browser module (eslint.config.js sets Node's globals only) */
// Chart.js (its UMD build, served by Herald from node_modules) with the page's look.
import { el } from './dom.js';

const Chart = globalThis.Chart;

export const STATUS_COLORS = {
  accepted: '#94a3b8',
  sent: '#60a5fa',
  delivered: '#16a34a',
  read: '#0d9488',
  failed: '#dc2626',
  expired: '#f59e0b',
  rejected: '#9f1239',
  canceled: '#a8a29e',
};
export const ACCENT = '#4f46e5';
export const CONVERTED = '#16a34a';
const GRID = '#e2e8f0';
const INK = '#475569';

if (Chart) {
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = INK;
  Chart.defaults.borderColor = GRID;
  // Figures appear at once (and the screenshot in the browser test is taken of a finished chart).
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.position = 'bottom';
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.legend.labels.boxHeight = 12;
  Chart.defaults.plugins.legend.labels.padding = 16;
  Chart.defaults.plugins.tooltip.backgroundColor = '#0f172a';
  Chart.defaults.plugins.tooltip.padding = 10;
  Chart.defaults.datasets.bar.borderRadius = 3;
  Chart.defaults.datasets.bar.maxBarThickness = 40;
}

/** A canvas in a sized box; `label` is what a screen reader hears (the table below has the figures). */
export function chartBox(id, label, height = 260) {
  const canvas = el('canvas', { id, role: 'img', 'aria-label': label, 'data-testid': id });
  const box = el('div', { class: 'chart-box' }, [canvas]);
  // Through the CSSOM, which the page's CSP (no inline styles) allows; a style attribute would be refused.
  box.style.height = `${height}px`;
  return { box, canvas };
}

/** Draws `config` on `canvas` (already in the page, so Chart.js can measure it); null if Chart.js did not load. */
export function draw(canvas, config) {
  if (!Chart) return null;
  Chart.getChart(canvas)?.destroy();
  return new Chart(canvas, config);
}

/** Frees the charts inside `node` before it is replaced. */
export function destroyCharts(node) {
  if (!Chart) return;
  for (const canvas of node.querySelectorAll('canvas')) Chart.getChart(canvas)?.destroy();
}

export const chartsAvailable = () => Boolean(Chart);

/** Integer ticks for counts. */
export const countAxis = (title) => ({
  beginAtZero: true,
  ticks: { precision: 0 },
  title: { display: Boolean(title), text: title },
});
