/**
 * Just enough MIME (RFC 2045/2046) to take a bounce apart: headers, content types, multipart bodies and
 * transfer encodings. mailparser folds `message/delivery-status` into the message text, so it cannot be used.
 */
export interface MimeEntity {
  headers: Map<string, string>;
  /** Lower-cased `type/subtype`. */
  type: string;
  params: Record<string, string>;
  /** The decoded body (for a multipart, the raw text between its boundaries). */
  body: string;
  parts: MimeEntity[];
}

const MAX_DEPTH = 12;

/** Splits at the first empty line; text with none is all headers (as in `text/rfc822-headers`). */
function splitHeaders(text: string): { head: string; body: string } {
  const match = /\r?\n\r?\n/.exec(text);
  if (/^\r?\n/.test(text)) return { head: '', body: text.replace(/^\r?\n/, '') };
  if (!match) return { head: text, body: '' };
  return { head: text.slice(0, match.index), body: text.slice(match.index + match[0].length) };
}

/** Header fields, unfolded, by lower-cased name; the first occurrence wins. */
export function parseHeaderFields(head: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name) || fields.has(name)) continue;
    fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

export function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  const [type = '', ...rest] = (value ?? 'text/plain').split(';');
  const params: Record<string, string> = {};
  for (const match of `;${rest.join(';')}`.matchAll(/;\s*([^=\s;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g)) {
    params[match[1]!.toLowerCase()] = match[2]?.replace(/\\(.)/g, '$1') ?? match[3] ?? '';
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}

const decodeQuotedPrintable = (text: string): string =>
  Buffer.from(
    text
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');

function decodeBody(body: string, encoding: string | undefined): string {
  switch (encoding?.trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    const trimmed = line.trimEnd();
    if (trimmed === `--${boundary}--`) break;
    if (trimmed === `--${boundary}`) {
      if (current) parts.push(current.join('\n'));
      current = [];
    } else {
      current?.push(line);
    }
  }
  if (current) parts.push(current.join('\n'));
  return parts;
}

/** Parses one entity (a whole message or a body part) and its multipart children. */
export function parseMime(text: string, depth = 0): MimeEntity {
  const { head, body } = splitHeaders(text);
  const headers = parseHeaderFields(head);
  const { type, params } = parseContentType(headers.get('content-type'));
  if (type.startsWith('multipart/') && params.boundary && depth < MAX_DEPTH) {
    const parts = splitMultipart(body, params.boundary).map((part) => parseMime(part, depth + 1));
    return { headers, type, params, body, parts };
  }
  return { headers, type, params, body: decodeBody(body, headers.get('content-transfer-encoding')), parts: [] };
}
