import { parse } from 'lossless-json';

/**
 * Viber's `message_token` is a bare 64-bit integer (e.g. 4912661846655238145): `JSON.parse` rounds it to
 * 4912661846655238000, and delivery reports would then never match the send answer. Every Viber body is
 * therefore parsed with lossless-json. An integer beyond 2^53 is kept as its exact digits (a string), not a
 * bigint: the parsed body is also kept as the attempt's raw payload, and a bigint would make that
 * unserialisable (`JSON.stringify` throws on bigints).
 */
const parseNumber = (digits: string): number | string => {
  const value = Number(digits);
  return /^-?\d+$/.test(digits) && !Number.isSafeInteger(value) ? digits : value;
};

/** Parses a Viber JSON body without losing integer digits; throws SyntaxError on text that is not JSON. */
export function parseViberJson(text: string): unknown {
  return parse(text, null, parseNumber);
}

export type ViberObject = Record<string, unknown>;

export const isViberObject = (value: unknown): value is ViberObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The exact digits of a `message_token`, whether it arrived as a number (small or large) or as a string
 * (Viber's documented error example quotes it). Undefined when there is no usable token.
 */
export function messageTokenDigits(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  return undefined;
}
