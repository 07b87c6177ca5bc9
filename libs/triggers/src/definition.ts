import { CHANNELS, isChannel, parseDuration, type Channel } from '#libs/core/src/index.js';
import { parseWhere, pathIssue, type Issue, type WhereCondition } from './where.js';

/**
 * A trigger definition (API §7) checked in one pass: every problem is reported with its exact field path, so a client
 * fixes them all at once. `send` is checked only for what a trigger adds to a message body; its deep check (content,
 * fallback, templates) is the message intake's.
 */
export interface TriggerDefinition {
  name: string;
  when?: { event: string; where: WhereCondition[] };
  unless?: { event: string; withinMs: number; matchOn?: string };
  count?: { atLeast: number; withinMs: number };
  first: boolean;
  inactivity?: { forMs: number };
  delayMs: number;
  /** A message body without "to". */
  send: Record<string, unknown>;
  limits: { oncePer?: string; cap?: { max: number; perMs: number }; quietHours?: { from: string; to: string } };
  conversion?: { event: string; withinMs: number };
}

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

const SECOND = 1000;
const DAY = 86_400_000;
const MAX_NAME = 200;
const NON_PRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}]/u;
const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;
const TOP_LEVEL = [
  'name',
  'when',
  'unless',
  'count',
  'first',
  'inactivity',
  'delay',
  'send',
  'limits',
  'conversion',
] as const;

interface Range {
  minMs: number;
  maxMs: number;
  label: string;
}
const WINDOW: Range = { minMs: SECOND, maxMs: 90 * DAY, label: 'from 1s to 90d' };
const LONG_WINDOW: Range = { minMs: SECOND, maxMs: 365 * DAY, label: 'from 1s to 365d' };
const DELAY: Range = { minMs: 0, maxMs: 30 * DAY, label: 'from 0s to 30d' };

/** How an issue about a value starts: it is either missing or wrong. */
const lead = (value: unknown): string => (value === undefined || value === null ? 'required:' : 'must be');

/** Collects every issue, each with its field path. */
class Checker {
  readonly issues: Issue[] = [];

  add(field: string, issue: string): void {
    this.issues.push({ field, issue });
  }

  /** The object at `field`, or undefined (with an issue when it is there but not an object). null counts as absent. */
  section(value: unknown, field: string, allowed: readonly string[]): Obj | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isObject(value)) {
      this.add(field, `must be an object {${allowed.join(', ')}}`);
      return undefined;
    }
    this.onlyKnown(value, field, allowed);
    return value;
  }

  onlyKnown(value: Obj, field: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.add(field ? `${field}.${key}` : key, 'unknown field');
    }
  }

  text(value: unknown, field: string): string | undefined {
    if (typeof value !== 'string' || value.trim().length === 0 || [...value].length > MAX_NAME) {
      this.add(field, `${lead(value)} a string of 1 to ${MAX_NAME} characters`);
      return undefined;
    }
    return value;
  }

  event(value: unknown, field: string): string | undefined {
    const name = this.text(value, field);
    if (name !== undefined && NON_PRINTABLE.test(name)) {
      this.add(field, 'must hold printable characters only (no control characters or line breaks)');
      return undefined;
    }
    return name;
  }

  duration(value: unknown, field: string, range: Range): number | undefined {
    const ms = parseDuration(value);
    if (ms === null || ms < range.minMs || ms > range.maxMs) {
      this.add(field, `${lead(value)} a duration ${range.label}, such as 90 (seconds), "30m", "2h", "14d" or "PT2H"`);
      return undefined;
    }
    return ms;
  }

  integer(value: unknown, field: string, min: number, max: number): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.add(field, `${lead(value)} an integer from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  path(value: unknown, field: string): string | undefined {
    const issue = pathIssue(value);
    if (issue) {
      this.add(field, issue);
      return undefined;
    }
    return value as string;
  }

  clock(value: unknown, field: string): string | undefined {
    if (typeof value !== 'string' || !CLOCK.test(value)) {
      this.add(field, `${lead(value)} a time of day "HH:MM" from 00:00 to 23:59`);
      return undefined;
    }
    return value;
  }
}

function parseWhen(value: unknown, check: Checker): TriggerDefinition['when'] {
  const when = check.section(value, 'when', ['event', 'where']);
  if (!when) return undefined;
  const event = check.event(when.event, 'when.event');
  let where: WhereCondition[] = [];
  if (when.where !== undefined && when.where !== null) {
    const parsed = parseWhere(when.where, 'when.where');
    parsed.issues.forEach((issue) => check.add(issue.field, issue.issue));
    where = parsed.conditions;
  }
  return event === undefined ? undefined : { event, where };
}

function parseUnless(value: unknown, check: Checker): TriggerDefinition['unless'] {
  const unless = check.section(value, 'unless', ['event', 'within', 'matchOn']);
  if (!unless) return undefined;
  const event = check.event(unless.event, 'unless.event');
  const withinMs = check.duration(unless.within, 'unless.within', WINDOW);
  const hasMatch = unless.matchOn !== undefined && unless.matchOn !== null;
  const matchOn = hasMatch ? check.path(unless.matchOn, 'unless.matchOn') : undefined;
  if (event === undefined || withinMs === undefined || (hasMatch && matchOn === undefined)) return undefined;
  return matchOn === undefined ? { event, withinMs } : { event, withinMs, matchOn };
}

function parseCount(value: unknown, check: Checker): TriggerDefinition['count'] {
  const count = check.section(value, 'count', ['atLeast', 'within']);
  if (!count) return undefined;
  const atLeast = check.integer(count.atLeast, 'count.atLeast', 1, 10_000);
  const withinMs = check.duration(count.within, 'count.within', WINDOW);
  return atLeast === undefined || withinMs === undefined ? undefined : { atLeast, withinMs };
}

function parseInactivity(value: unknown, check: Checker): TriggerDefinition['inactivity'] {
  const inactivity = check.section(value, 'inactivity', ['for']);
  if (!inactivity) return undefined;
  const forMs = check.duration(inactivity.for, 'inactivity.for', LONG_WINDOW);
  return forMs === undefined ? undefined : { forMs };
}

function parseSend(value: unknown, check: Checker): Obj | undefined {
  if (!isObject(value)) {
    check.add('send', 'required: a message body without "to" {channels, content, …}');
    return undefined;
  }
  const before = check.issues.length;
  if ('to' in value) check.add('send.to', 'the trigger addresses its contact; remove to');
  const channels = value.channels;
  if (!Array.isArray(channels) || channels.length === 0) {
    check.add('send.channels', `required: a non-empty list of ${CHANNELS.join(', ')} in cascade order`);
  } else {
    const seen = new Set<Channel>();
    channels.forEach((channel: unknown, i) => {
      if (!isChannel(channel)) {
        const shown = typeof channel === 'string' ? `unknown channel "${channel}"` : 'must be a channel name';
        check.add(`send.channels[${i}]`, `${shown}: use one of ${CHANNELS.join(', ')}`);
      } else if (seen.has(channel)) {
        check.add(`send.channels[${i}]`, `repeats ${channel}: each channel may appear once`);
      } else {
        seen.add(channel);
      }
    });
  }
  if (!isObject(value.content)) check.add('send.content', 'required: an object with the content per channel');
  return check.issues.length > before ? undefined : value;
}

function parseLimits(value: unknown, check: Checker): TriggerDefinition['limits'] | undefined {
  const limits = check.section(value, 'limits', ['oncePer', 'cap', 'quietHours']);
  if (!limits) return {};
  const before = check.issues.length;
  const parsed: TriggerDefinition['limits'] = {};
  if (limits.oncePer !== undefined && limits.oncePer !== null) {
    parsed.oncePer = check.path(limits.oncePer, 'limits.oncePer');
  }
  const cap = check.section(limits.cap, 'limits.cap', ['max', 'per']);
  if (cap) {
    const max = check.integer(cap.max, 'limits.cap.max', 1, 1000);
    const perMs = check.duration(cap.per, 'limits.cap.per', LONG_WINDOW);
    if (max !== undefined && perMs !== undefined) parsed.cap = { max, perMs };
  }
  const quiet = check.section(limits.quietHours, 'limits.quietHours', ['from', 'to']);
  if (quiet) {
    const from = check.clock(quiet.from, 'limits.quietHours.from');
    const to = check.clock(quiet.to, 'limits.quietHours.to');
    if (from !== undefined && from === to) {
      check.add('limits.quietHours.to', 'must differ from "from": the window would be empty');
    } else if (from !== undefined && to !== undefined) {
      parsed.quietHours = { from, to };
    }
  }
  return check.issues.length > before ? undefined : parsed;
}

function parseConversion(value: unknown, check: Checker): TriggerDefinition['conversion'] {
  const conversion = check.section(value, 'conversion', ['event', 'within']);
  if (!conversion) return undefined;
  const event = check.event(conversion.event, 'conversion.event');
  const withinMs = check.duration(conversion.within, 'conversion.within', WINDOW);
  return event === undefined || withinMs === undefined ? undefined : { event, withinMs };
}

const given = (value: unknown): boolean => value !== undefined && value !== null;

/** Parses a create body (or a merged PATCH); `definition` is set only when there is no issue. null means "not given". */
export function parseTriggerDefinition(input: unknown): { definition?: TriggerDefinition; issues: Issue[] } {
  if (!isObject(input)) return { issues: [{ field: 'body', issue: 'must be a JSON object' }] };
  const check = new Checker();
  check.onlyKnown(input, '', TOP_LEVEL);

  const name = check.text(input.name, 'name');
  const when = parseWhen(input.when, check);
  const unless = parseUnless(input.unless, check);
  const count = parseCount(input.count, check);
  const inactivity = parseInactivity(input.inactivity, check);
  const send = parseSend(input.send, check);
  const limits = parseLimits(input.limits, check);
  const conversion = parseConversion(input.conversion, check);

  let first = false;
  if (given(input.first)) {
    if (typeof input.first === 'boolean') first = input.first;
    else check.add('first', 'must be true or false');
  }
  let delayMs = 0;
  if (given(input.delay)) delayMs = check.duration(input.delay, 'delay', DELAY) ?? 0;

  if (!given(input.when)) {
    if (!given(input.inactivity)) check.add('when', 'give when (an event) or inactivity');
    if (given(input.unless)) check.add('unless', 'needs when: unless stops a send that a when event started');
    if (given(input.count)) check.add('count', 'needs when: count counts the when event');
    if (first) check.add('first', 'needs when: first means the first when event');
  }

  if (check.issues.length > 0 || name === undefined || send === undefined || limits === undefined) {
    return { issues: check.issues };
  }
  const definition: TriggerDefinition = { name, first, delayMs, send, limits };
  if (when) definition.when = when;
  if (unless) definition.unless = unless;
  if (count) definition.count = count;
  if (inactivity) definition.inactivity = inactivity;
  if (conversion) definition.conversion = conversion;
  return { definition, issues: [] };
}

/** PATCH: top-level keys of `patch` replace those of `current` (raw JSON as the user gave it); a null removes the key. */
export function mergeTriggerPatch(
  current: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** Names of the stored templates the send names, in channel order, so the caller can check they exist. */
export function templateRefs(send: Record<string, unknown>): { channel: Channel; name: string; language?: string }[] {
  const content = send.content;
  if (!isObject(content)) return [];
  const refs: { channel: Channel; name: string; language?: string }[] = [];
  for (const channel of CHANNELS) {
    const part = content[channel];
    if (!isObject(part)) continue;
    if (channel === 'whatsapp') {
      const template = part.template;
      if (isObject(template) && typeof template.name === 'string') {
        const language = typeof template.language === 'string' ? template.language : undefined;
        refs.push(
          language === undefined ? { channel, name: template.name } : { channel, name: template.name, language },
        );
      }
    } else if (typeof part.template === 'string') {
      // The other channels name a stored template by a plain string: {"sms": {"template": "cart_reminder_sms"}}.
      refs.push({ channel, name: part.template });
    }
  }
  return refs;
}
