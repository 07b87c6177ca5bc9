/**
 * SMS encoding and segment count, for pricing (API §8: SMS cost is per segment) and for providers that do not
 * report a count. Mirrors what handsets and SMSCs do: GSM 03.38 when every character is in its basic or extension
 * table, UCS-2 otherwise; a concatenated message loses room to the 6-byte UDH (153 septets / 67 code units per part).
 */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  encoding: SmsEncoding;
  /** Parts the message is sent as (0 for an empty text, which no provider accepts). */
  segments: number;
  /** Septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2. */
  units: number;
}

// GSM 03.38 basic character set, without the escape code (0x1B) itself: a literal ESC is not text.
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
// The extension table: each is sent as ESC + code, two septets.
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

/**
 * The width of each character in units of the chosen encoding. A character is never split across parts: an
 * escape pair stays together, and so does a surrogate pair (as real SMSCs and Twilio do), so a part may carry
 * one unit less than its limit.
 */
function widths(text: string): { encoding: SmsEncoding; widths: number[] } {
  const gsm: number[] = [];
  for (const char of text) {
    if (GSM_BASIC.has(char)) gsm.push(1);
    else if (GSM_EXTENSION.has(char)) gsm.push(2);
    else return { encoding: 'UCS-2', widths: Array.from(text, (c) => c.length) };
  }
  return { encoding: 'GSM-7', widths: gsm };
}

export function smsSegments(text: string): SmsSegments {
  const { encoding, widths: sizes } = widths(text);
  const units = sizes.reduce((sum, size) => sum + size, 0);
  const limit = LIMITS[encoding];
  if (units === 0) return { encoding, segments: 0, units };
  if (units <= limit.single) return { encoding, segments: 1, units };
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > limit.part) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return { encoding, segments, units };
}
