import { normalizePhone } from '#libs/core/src/index.js';
import { ChannelSendError, type ChannelContent } from '../channel.port.js';

/** Meta's limit for `text.body`. */
export const WHATSAPP_TEXT_MAX = 4096;

/** A Meta template parameter (`{type: 'text', text}`, `{type: 'currency', currency: {...}}`, `{type: 'image', ...}`…). */
export type MetaParameter = { type: string } & Record<string, unknown>;

export interface MetaComponent {
  type: 'header' | 'body' | 'button';
  sub_type?: 'url' | 'quick_reply' | 'copy_code';
  index?: string;
  parameters: MetaParameter[];
}

export type WhatsAppMessageBody = {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  to: string;
} & (
  | { type: 'text'; text: { body: string; preview_url: false } }
  | { type: 'template'; template: { name: string; language: { code: string }; components?: MetaComponent[] } }
);

/** Used when a template names no language; Herald's stored WhatsApp templates always carry one. */
export const WHATSAPP_DEFAULT_TEMPLATE_LANGUAGE = 'en_US';

const rejected = (code: string, message: string): ChannelSendError =>
  new ChannelSendError({ kind: 'CONTENT_REJECTED', code, message, permanent: true });

/** Meta's `to`: the E.164 number without its `+`. */
export function whatsAppRecipient(address: string): string {
  const e164 = normalizePhone(address);
  if (!e164) {
    throw new ChannelSendError({
      kind: 'INVALID_ADDRESS',
      code: 'INVALID_ADDRESS',
      message: 'WhatsApp needs an E.164 phone number',
      permanent: true,
    });
  }
  return e164.slice(1);
}

/**
 * One parameter: a string or number becomes `{type: 'text', text}`; an object that already has Meta's `type`
 * (currency, date_time, image, document, video…) is passed through as it is.
 */
function parameter(value: unknown, where: string): MetaParameter {
  if (typeof value === 'string') return { type: 'text', text: value };
  if (typeof value === 'number' && Number.isFinite(value)) return { type: 'text', text: String(value) };
  if (typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string') {
    return value as MetaParameter;
  }
  throw rejected('INVALID_TEMPLATE_PARAMETERS', `template parameter ${where} must be a string or a Meta parameter`);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Body parameters of a NAMED template, `{first_name: 'Ana'}`: each becomes Meta's `{type: 'text', parameter_name,
 * text}`; a value that already is a Meta parameter keeps its fields and gets the `parameter_name`.
 */
function namedParameters(value: Record<string, unknown>, name: string): MetaParameter[] {
  return Object.entries(value).map(([key, item]) => ({ ...parameter(item, `${name}.${key}`), parameter_name: key }));
}

function parameterList(value: unknown, name: string): MetaParameter[] {
  if (value === undefined || value === null) return [];
  // A lone header value (one text or one image) need not be wrapped in an array.
  const list = Array.isArray(value) ? value : [value];
  return list.map((item, i) => parameter(item, `${name}[${i}]`));
}

/**
 * Buttons, by position in the template. A string is the dynamic part of a URL button; an object is
 * `{subType: 'url', text}`, `{subType: 'quick_reply', payload}` or `{subType: 'copy_code', couponCode}` with an
 * optional explicit `index`; `null` marks a button that takes no parameter.
 */
function buttonComponents(value: unknown): MetaComponent[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw rejected('INVALID_TEMPLATE_PARAMETERS', 'template buttons must be a list');
  const components: MetaComponent[] = [];
  value.forEach((button: unknown, position) => {
    if (button === null) return;
    if (typeof button === 'string') {
      components.push({
        type: 'button',
        sub_type: 'url',
        index: String(position),
        parameters: [{ type: 'text', text: button }],
      });
      return;
    }
    const spec = (typeof button === 'object' ? button : {}) as Record<string, unknown>;
    const subType = spec.subType ?? spec.sub_type;
    const index = String(spec.index ?? position);
    if (subType === 'url' && typeof spec.text === 'string') {
      components.push({ type: 'button', sub_type: 'url', index, parameters: [{ type: 'text', text: spec.text }] });
    } else if (subType === 'quick_reply' && typeof spec.payload === 'string') {
      components.push({
        type: 'button',
        sub_type: 'quick_reply',
        index,
        parameters: [{ type: 'payload', payload: spec.payload }],
      });
    } else if (subType === 'copy_code' && typeof (spec.couponCode ?? spec.coupon_code) === 'string') {
      components.push({
        type: 'button',
        sub_type: 'copy_code',
        index,
        parameters: [{ type: 'coupon_code', coupon_code: (spec.couponCode ?? spec.coupon_code) as string }],
      });
    } else {
      throw rejected(
        'INVALID_TEMPLATE_PARAMETERS',
        `template button ${position} must be a string, {subType: 'url', text}, {subType: 'quick_reply', payload} ` +
          `or {subType: 'copy_code', couponCode}`,
      );
    }
  });
  return components;
}

const TEMPLATE_PARAMETER_KEYS = new Set(['header', 'body', 'buttons']);

/**
 * Herald's `{header?, body?, buttons?}` as Meta's template components, in Meta's order. `body` is a list for a
 * POSITIONAL template, or an object keyed by placeholder name for a NAMED one.
 */
export function whatsAppTemplateComponents(parameters: Record<string, unknown> | undefined): MetaComponent[] {
  if (!parameters) return [];
  const unknown = Object.keys(parameters).filter((key) => !TEMPLATE_PARAMETER_KEYS.has(key));
  if (unknown.length) {
    throw rejected(
      'INVALID_TEMPLATE_PARAMETERS',
      `unknown template parameter group ${unknown.join(', ')} (expected header, body, buttons)`,
    );
  }
  const components: MetaComponent[] = [];
  const header = parameterList(parameters.header, 'header');
  if (header.length) components.push({ type: 'header', parameters: header });
  const body = isPlainObject(parameters.body)
    ? namedParameters(parameters.body, 'body')
    : parameterList(parameters.body, 'body');
  if (body.length) components.push({ type: 'body', parameters: body });
  components.push(...buttonComponents(parameters.buttons));
  return components;
}

/** The JSON body of `POST /{version}/{phone-number-id}/messages` for Herald's content. */
export function buildWhatsAppMessage(address: string, content: ChannelContent): WhatsAppMessageBody {
  const to = whatsAppRecipient(address);
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to } as const;
  if (content.template) {
    const { name, language, parameters } = content.template;
    if (!name) throw rejected('INVALID_TEMPLATE', 'a WhatsApp template needs a name');
    const components = whatsAppTemplateComponents(parameters);
    return {
      ...base,
      type: 'template',
      template: {
        name,
        language: { code: language || WHATSAPP_DEFAULT_TEMPLATE_LANGUAGE },
        ...(components.length ? { components } : {}),
      },
    };
  }
  const text = content.text;
  if (!text) throw rejected('EMPTY_CONTENT', 'WhatsApp needs a text or a template');
  // Counted in code points, so emoji do not count twice; Meta still has the last word.
  if ([...text].length > WHATSAPP_TEXT_MAX) {
    throw rejected('TEXT_TOO_LONG', `WhatsApp text is limited to ${WHATSAPP_TEXT_MAX} characters`);
  }
  return { ...base, type: 'text', text: { body: text, preview_url: false } };
}
