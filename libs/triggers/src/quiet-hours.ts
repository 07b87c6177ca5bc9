import { DateTime, IANAZone } from 'luxon';

/**
 * Quiet hours are read on the contact's wall clock: "21:00" to "08:00" means those local times on every day, so a
 * DST change moves the window in UTC. `from` is inclusive and `to` exclusive, at minute granularity.
 */
const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MINUTE = 60_000;
const DAY = 86_400_000;

export function isValidTimeZone(zone: string): boolean {
  return zone.length > 0 && IANAZone.isValidZone(zone);
}

function minutesOf(clock: string): number | null {
  const match = CLOCK.exec(clock);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/**
 * The first instant after `after` at which the wall clock in `zone` shows `minutes` past midnight of the given day.
 * Around a DST change that wall time can happen twice (the later realisation after `after` wins when the earlier is
 * past) or not at all: in a spring-forward gap the clock jumps past it, so the jump itself is the answer.
 */
function wallClockInstant(
  zone: IANAZone,
  day: { year: number; month: number; day: number },
  minutes: number,
  after: number,
): number {
  const wall = Date.UTC(day.year, day.month - 1, day.day) + minutes * MINUTE;
  const offsets = [...new Set([zone.offset(wall - DAY), zone.offset(wall), zone.offset(wall + DAY)])];
  const realised = offsets
    .map((offset) => wall - offset * MINUTE)
    .filter((instant) => wall - zone.offset(instant) * MINUTE === instant && instant > after)
    .sort((a, b) => a - b);
  if (realised.length > 0) return realised[0];
  // A gap: read with the later offset the wall time lies before the jump, with the earlier one after it.
  let before = wall - Math.max(...offsets) * MINUTE;
  let past = wall - Math.min(...offsets) * MINUTE;
  const offsetBefore = zone.offset(before);
  while (past - before > MINUTE) {
    const middle = before + Math.floor((past - before) / 2 / MINUTE) * MINUTE;
    if (zone.offset(middle) === offsetBefore) before = middle;
    else past = middle;
  }
  return past;
}

/** If `at` falls inside the quiet window in `timeZone` (invalid or null → UTC), the instant the window ends; else null. */
export function quietHoursEnd(at: Date, timeZone: string | null, window: { from: string; to: string }): Date | null {
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  if (from === null || to === null || from === to) return null;
  const zone = IANAZone.create(timeZone !== null && isValidTimeZone(timeZone) ? timeZone : 'UTC');
  const local = DateTime.fromJSDate(at, { zone });
  const now = local.hour * 60 + local.minute;
  const crossesMidnight = from > to;
  const inside = crossesMidnight ? now >= from || now < to : now >= from && now < to;
  if (!inside) return null;
  // Past midnight the window ends today; before it (the evening part) it ends tomorrow.
  const endDay = crossesMidnight && now >= from ? local.plus({ days: 1 }) : local;
  return new Date(wallClockInstant(zone, endDay, to, at.getTime()));
}
