// How figures are written on the page. Each cell also keeps the API's raw value in data-value.

const CHANNEL_NAMES = { sms: 'SMS', whatsapp: 'WhatsApp', viber: 'Viber', rcs: 'RCS', email: 'Email' };

export const channelName = (key) =>
  key === null || key === undefined ? 'No channel' : (CHANNEL_NAMES[key] ?? String(key));

export const titleCase = (text) => String(text).charAt(0).toUpperCase() + String(text).slice(1).replaceAll('_', ' ');

export const count = (n) => Number(n).toLocaleString('en-US');

export const percent = (rate) => (rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`);

/** Two decimals below 10 s, one below 100 s, whole seconds above. */
export function seconds(value) {
  if (value === null || value === undefined) return '—';
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} s`;
}

/** Money stays the API's decimal string: never rounded through a float. */
export const money = (cost) => (cost ? `${cost.amount} ${cost.currency}` : '—');

/** The raw value for data-value: the API's number as JSON writes it, empty for null. */
export const raw = (value) => (value === null || value === undefined ? '' : String(value));
