/**
 * WhatsApp message templates, pure: Meta's rules for a create-template body, what a send of a template must
 * supply, and how Meta's template status webhooks move a template's status. No I/O here.
 */

export const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];

export const TEMPLATE_STATUSES = [
  'PENDING',
  'APPROVED',
  'REJECTED',
  'PAUSED',
  'DISABLED',
  'FLAGGED',
  'IN_APPEAL',
  'PENDING_DELETION',
  'DELETED',
  'ARCHIVED',
  'LIMIT_EXCEEDED',
  'LOCKED',
] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

/** Every `event` value of Meta's message_template_status_update webhook. */
export const TEMPLATE_EVENTS = [
  'APPROVED',
  'ARCHIVED',
  'UNARCHIVED',
  'DELETED',
  'DISABLED',
  'FLAGGED',
  'IN_APPEAL',
  'LIMIT_EXCEEDED',
  'LOCKED',
  'UNLOCKED',
  'PAUSED',
  'PENDING',
  'REINSTATED',
  'PENDING_DELETION',
  'REJECTED',
] as const;

export interface FieldIssue {
  field: string;
  issue: string;
}

export interface TemplateDefinition {
  name: string;
  language: string;
  category: TemplateCategory;
  components: Record<string, unknown>[];
  parameterFormat?: 'POSITIONAL' | 'NAMED';
}

/**
 * What a send must supply: header 0|1 params, body count (POSITIONAL) or the placeholder names (NAMED), and per
 * button position whether it takes a parameter: 'required' | 'none' | 'optional' (quick replies may carry a payload).
 */
export interface TemplateSlots {
  header: number;
  body: number | string[];
  buttons: ('required' | 'none' | 'optional')[];
}

type Obj = Record<string, unknown>;

const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

const upper = (value: unknown): string | undefined => (typeof value === 'string' ? value.toUpperCase() : undefined);

/** Length in code points, so an emoji counts once. */
const length = (text: string): number => [...text].length;

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Meta: lower-case letters, digits and underscores. */
const NAME = /^[a-z0-9_]{1,512}$/;
const LANGUAGE = /^[a-z]{2,3}(_[A-Za-z]{2,4})?$/;
const NAMED_PLACEHOLDER = /^[a-z][a-z0-9_]*$/;
const POSITIONAL_PLACEHOLDER = /^[0-9]+$/;
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

const COMPONENT_TYPES = ['HEADER', 'BODY', 'FOOTER', 'BUTTONS'];
const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'];
const MEDIA_FORMATS = ['IMAGE', 'VIDEO', 'DOCUMENT'];
const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'OTP', 'COPY_CODE', 'FLOW', 'CATALOG', 'MPM', 'VOICE_CALL'];
/** Buttons whose label Meta may write itself. */
const OPTIONAL_TEXT_BUTTONS = ['OTP', 'CATALOG', 'MPM', 'COPY_CODE'];
const OTP_TYPES = ['COPY_CODE', 'ONE_TAP', 'ZERO_TAP'];
const PARAMETER_FORMATS = ['POSITIONAL', 'NAMED'];

const HEADER_TEXT_MAX = 60;
const BODY_TEXT_MAX = 1024;
const FOOTER_TEXT_MAX = 60;
const BUTTON_TEXT_MAX = 25;
const BUTTONS_MAX = 10;

interface Placeholders {
  /** Distinct positional numbers, in order of first appearance. */
  numbers: number[];
  /** Distinct names, in order of first appearance. */
  names: string[];
  /** Placeholders that are neither (`{{ 1 }}`, `{{First}}`…). */
  invalid: string[];
  total: number;
}

function placeholders(text: string): Placeholders {
  const found: Placeholders = { numbers: [], names: [], invalid: [], total: 0 };
  for (const match of text.matchAll(PLACEHOLDER)) {
    found.total++;
    const inner = match[1];
    if (POSITIONAL_PLACEHOLDER.test(inner)) {
      const number = Number(inner);
      if (!found.numbers.includes(number)) found.numbers.push(number);
    } else if (NAMED_PLACEHOLDER.test(inner)) {
      if (!found.names.includes(inner)) found.names.push(inner);
    } else if (!found.invalid.includes(match[0])) {
      found.invalid.push(match[0]);
    }
  }
  return found;
}

/** POSITIONAL unless the body says NAMED; a malformed value is reported elsewhere. */
const isNamed = (parameterFormat: unknown): boolean => upper(parameterFormat) === 'NAMED';

const isStringList = (value: unknown, count?: number): value is string[] =>
  Array.isArray(value) &&
  value.every((item) => typeof item === 'string') &&
  (count === undefined ? value.length > 0 : value.length === count);

/**
 * Checks the placeholders of a header or body text against the template's parameter format: malformed ones,
 * numbers mixed with names, the wrong kind for the format, gaps in the numbering.
 */
function placeholderIssues(found: Placeholders, named: boolean, field: string, issues: FieldIssue[]): void {
  for (const bad of found.invalid) {
    issues.push({
      field,
      issue: `placeholder ${bad} is neither {{1}}, {{2}}… nor a snake_case name such as {{first_name}}`,
    });
  }
  if (found.numbers.length && found.names.length) {
    issues.push({ field, issue: 'mixes numbered ({{1}}) and named ({{name}}) placeholders' });
    return;
  }
  if (named && found.numbers.length) {
    issues.push({ field, issue: 'uses numbered placeholders ({{1}}) but parameter_format is NAMED' });
  } else if (!named && found.names.length) {
    issues.push({
      field,
      issue: `uses named placeholders (${found.names.map((n) => `{{${n}}}`).join(', ')}); set parameter_format to NAMED`,
    });
  } else if (!named && found.numbers.length) {
    const highest = Math.max(...found.numbers);
    const missing: string[] = [];
    // Bounded by the placeholders present plus the few gaps named: `{{999999999}}` must not loop for long.
    for (let n = 1; n <= highest && missing.length < 5; n++) if (!found.numbers.includes(n)) missing.push(`{{${n}}}`);
    if (found.numbers.includes(0)) {
      issues.push({ field, issue: 'placeholders are numbered from {{1}}; {{0}} is not allowed' });
    } else if (missing.length) {
      issues.push({
        field,
        issue: `placeholders must be numbered from {{1}} without gaps: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`,
      });
    }
  }
}

/** `[{param_name, example}]` covering exactly `names`. */
function namedExampleIssues(value: unknown, names: string[], field: string, issues: FieldIssue[]): void {
  if (!Array.isArray(value)) {
    issues.push({ field, issue: `required: a list of {param_name, example} for ${names.join(', ')}` });
    return;
  }
  const given: string[] = [];
  value.forEach((item: unknown, i) => {
    if (!isObject(item) || typeof item.param_name !== 'string' || typeof item.example !== 'string') {
      issues.push({ field: `${field}[${i}]`, issue: 'must be {param_name, example} with two strings' });
      return;
    }
    given.push(item.param_name);
  });
  const missing = names.filter((name) => !given.includes(name));
  const extra = given.filter((name) => !names.includes(name));
  if (missing.length) issues.push({ field, issue: `has no example for ${missing.join(', ')}` });
  if (extra.length) issues.push({ field, issue: `has examples for names not in the text: ${extra.join(', ')}` });
}

function textIssues(value: unknown, max: number, field: string, issues: FieldIssue[], required = true): boolean {
  if (value === undefined && !required) return true;
  if (typeof value !== 'string' || value.trim() === '') {
    issues.push({ field, issue: `required: a non-empty string of at most ${max} characters` });
    return false;
  }
  if (length(value) > max) {
    issues.push({ field, issue: `at most ${max} characters, got ${length(value)}` });
    return false;
  }
  return true;
}

interface Context {
  category: string | undefined;
  named: boolean;
  issues: FieldIssue[];
}

function headerIssues(component: Obj, at: string, { category, named, issues }: Context): void {
  if (category === 'AUTHENTICATION') {
    issues.push({ field: `${at}.type`, issue: 'AUTHENTICATION templates have no HEADER' });
    return;
  }
  const format = upper(component.format) ?? (component.text !== undefined ? 'TEXT' : undefined);
  if (!format || !HEADER_FORMATS.includes(format)) {
    issues.push({ field: `${at}.format`, issue: `one of ${HEADER_FORMATS.join(', ')}` });
    return;
  }
  const example = isObject(component.example) ? component.example : undefined;
  if (component.example !== undefined && !example) {
    issues.push({ field: `${at}.example`, issue: 'must be an object' });
  }
  if (format !== 'TEXT') {
    if (component.text !== undefined) {
      issues.push({ field: `${at}.text`, issue: `a ${format} header has no text` });
    }
    if (MEDIA_FORMATS.includes(format) && !isStringList(example?.header_handle)) {
      issues.push({
        field: `${at}.example.header_handle`,
        issue: `required for a ${format} header: a list of at least one media handle`,
      });
    }
    return;
  }
  if (!textIssues(component.text, HEADER_TEXT_MAX, `${at}.text`, issues)) return;
  const found = placeholders(component.text as string);
  if (found.total > 1) {
    issues.push({ field: `${at}.text`, issue: `a header takes at most 1 placeholder, got ${found.total}` });
    return;
  }
  placeholderIssues(found, named, `${at}.text`, issues);
  if (named && found.names.length) {
    // Meta's named header example; a plain `header_text` of one string is accepted as well.
    if (isStringList(example?.header_text, 1)) return;
    namedExampleIssues(
      example?.header_text_named_params,
      found.names,
      `${at}.example.header_text_named_params`,
      issues,
    );
  } else if (!named && found.numbers.length && !isStringList(example?.header_text, found.numbers.length)) {
    issues.push({
      field: `${at}.example.header_text`,
      issue: `required: a list of ${plural(found.numbers.length, 'example string')}, one per placeholder`,
    });
  }
}

function bodyIssues(component: Obj, at: string, { category, named, issues }: Context): void {
  if (category === 'AUTHENTICATION') {
    if (component.text !== undefined) {
      issues.push({ field: `${at}.text`, issue: 'not allowed: Meta writes the body of AUTHENTICATION templates' });
    }
    if (
      component.add_security_recommendation !== undefined &&
      typeof component.add_security_recommendation !== 'boolean'
    ) {
      issues.push({ field: `${at}.add_security_recommendation`, issue: 'must be true or false' });
    }
    return;
  }
  if (!textIssues(component.text, BODY_TEXT_MAX, `${at}.text`, issues)) return;
  const found = placeholders(component.text as string);
  placeholderIssues(found, named, `${at}.text`, issues);
  if (found.invalid.length || (found.numbers.length && found.names.length)) return;
  const example = isObject(component.example) ? component.example : undefined;
  if (component.example !== undefined && !example) {
    issues.push({ field: `${at}.example`, issue: 'must be an object' });
  }
  if (named && found.names.length) {
    namedExampleIssues(example?.body_text_named_params, found.names, `${at}.example.body_text_named_params`, issues);
  } else if (!named && found.numbers.length) {
    const count = found.numbers.length;
    const bodyText = example?.body_text;
    if (!Array.isArray(bodyText) || bodyText.length !== 1 || !isStringList(bodyText[0], count)) {
      const given =
        Array.isArray(bodyText) && bodyText.length === 1 && Array.isArray(bodyText[0])
          ? `, got ${bodyText[0].length}`
          : '';
      issues.push({
        field: `${at}.example.body_text`,
        issue: `required: [[${plural(count, 'example string')}]], one per placeholder${given}`,
      });
    }
  }
}

function footerIssues(component: Obj, at: string, { category, issues }: Context): void {
  if (category === 'AUTHENTICATION') {
    if (component.text !== undefined) {
      issues.push({
        field: `${at}.text`,
        issue: 'not allowed: an AUTHENTICATION footer only has code_expiration_minutes',
      });
    }
    const minutes = component.code_expiration_minutes;
    if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > 90) {
      issues.push({
        field: `${at}.code_expiration_minutes`,
        issue: 'required: a whole number of minutes from 1 to 90',
      });
    }
    return;
  }
  if (!textIssues(component.text, FOOTER_TEXT_MAX, `${at}.text`, issues)) return;
  if (placeholders(component.text as string).total > 0) {
    issues.push({ field: `${at}.text`, issue: 'a footer takes no placeholders' });
  }
}

function urlButtonIssues(button: Obj, at: string, issues: FieldIssue[]): void {
  const url = button.url;
  if (typeof url !== 'string' || !/^https?:\/\/[^\s/?#{}]+/i.test(url)) {
    issues.push({ field: `${at}.url`, issue: 'required: an http(s) URL' });
    return;
  }
  const found = [...url.matchAll(PLACEHOLDER)];
  if (found.length === 0) return;
  if (found.length > 1) {
    issues.push({ field: `${at}.url`, issue: `takes at most 1 placeholder, got ${found.length}` });
    return;
  }
  if (found[0][0] !== '{{1}}' || !url.endsWith('{{1}}')) {
    issues.push({ field: `${at}.url`, issue: 'its only placeholder must be {{1}}, at the end of the URL' });
    return;
  }
  if (!isStringList(button.example, 1)) {
    issues.push({ field: `${at}.example`, issue: 'required for a URL with {{1}}: a list of 1 example URL' });
  }
}

function buttonsIssues(component: Obj, at: string, { category, issues }: Context): void {
  const buttons = component.buttons;
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > BUTTONS_MAX) {
    issues.push({ field: `${at}.buttons`, issue: `required: a list of 1 to ${BUTTONS_MAX} buttons` });
    if (!Array.isArray(buttons)) return;
  }
  const authentication = category === 'AUTHENTICATION';
  let otp = 0;
  buttons.forEach((button: unknown, j) => {
    const where = `${at}.buttons[${j}]`;
    if (!isObject(button)) {
      issues.push({ field: where, issue: 'must be an object {type, text, …}' });
      return;
    }
    const type = upper(button.type);
    if (!type || !BUTTON_TYPES.includes(type)) {
      issues.push({ field: `${where}.type`, issue: `one of ${BUTTON_TYPES.join(', ')}` });
      return;
    }
    textIssues(button.text, BUTTON_TEXT_MAX, `${where}.text`, issues, !OPTIONAL_TEXT_BUTTONS.includes(type));
    if (type === 'OTP') {
      otp++;
      if (!authentication) {
        issues.push({ field: `${where}.type`, issue: 'OTP buttons are only for AUTHENTICATION templates' });
      }
      const otpType = upper(button.otp_type);
      if (!otpType || !OTP_TYPES.includes(otpType)) {
        issues.push({ field: `${where}.otp_type`, issue: `one of ${OTP_TYPES.join(', ')}` });
      }
    } else if (authentication) {
      issues.push({ field: `${where}.type`, issue: 'AUTHENTICATION templates only take an OTP button' });
    }
    if (type === 'URL') urlButtonIssues(button, where, issues);
    if (type === 'PHONE_NUMBER' && (typeof button.phone_number !== 'string' || button.phone_number.trim() === '')) {
      issues.push({ field: `${where}.phone_number`, issue: 'required: the phone number to call' });
    }
  });
  if (authentication && otp !== 1) {
    issues.push({ field: `${at}.buttons`, issue: `AUTHENTICATION templates take exactly 1 OTP button, got ${otp}` });
  }
}

const CHECKS: Record<string, (component: Obj, at: string, context: Context) => void> = {
  HEADER: headerIssues,
  BODY: bodyIssues,
  FOOTER: footerIssues,
  BUTTONS: buttonsIssues,
};

/** Every problem with a create-template body {name, language, category, components, parameter_format?}; empty when valid. */
export function templateDefinitionIssues(body: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const input: Obj = isObject(body) ? body : {};
  if (typeof input.name !== 'string' || !NAME.test(input.name)) {
    issues.push({ field: 'name', issue: 'required: 1 to 512 lower-case letters, digits or underscores' });
  }
  if (typeof input.language !== 'string' || !LANGUAGE.test(input.language)) {
    issues.push({ field: 'language', issue: 'required: a language code such as en, en_US or pt_BR' });
  }
  const category = typeof input.category === 'string' ? input.category : undefined;
  if (!category || !(TEMPLATE_CATEGORIES as readonly string[]).includes(category)) {
    issues.push({ field: 'category', issue: `required: one of ${TEMPLATE_CATEGORIES.join(', ')}` });
  }
  const format = input.parameter_format;
  if (format !== undefined && (typeof format !== 'string' || !PARAMETER_FORMATS.includes(format))) {
    issues.push({ field: 'parameter_format', issue: `one of ${PARAMETER_FORMATS.join(', ')}` });
  }
  const components = input.components;
  if (!Array.isArray(components) || components.length === 0) {
    issues.push({ field: 'components', issue: 'required: a non-empty list of HEADER, BODY, FOOTER, BUTTONS' });
    return issues;
  }
  const context: Context = { category, named: isNamed(format), issues };
  const seen = new Map<string, number>();
  components.forEach((component: unknown, i) => {
    const at = `components[${i}]`;
    if (!isObject(component)) {
      issues.push({ field: at, issue: 'must be an object {type, …}' });
      return;
    }
    const type = upper(component.type);
    if (!type || !COMPONENT_TYPES.includes(type)) {
      issues.push({ field: `${at}.type`, issue: `one of ${COMPONENT_TYPES.join(', ')}` });
      return;
    }
    const count = (seen.get(type) ?? 0) + 1;
    seen.set(type, count);
    if (count > 1) {
      issues.push({ field: `${at}.type`, issue: `a template has at most one ${type}` });
      return;
    }
    CHECKS[type](component, at, context);
  });
  if (!seen.has('BODY')) issues.push({ field: 'components', issue: 'a template needs a BODY' });
  if (category === 'AUTHENTICATION' && !seen.has('BUTTONS')) {
    issues.push({ field: 'components', issue: 'AUTHENTICATION templates need a BUTTONS component with 1 OTP button' });
  }
  return issues;
}

/**
 * What a send of this template must supply. Works on the create-request components and on those Meta returns
 * when listing templates (same format). AUTHENTICATION: the code is the one body parameter and is also given
 * to the OTP button (Meta lists it as a URL button ending in `{{1}}`).
 */
export function templateSlots(category: string, components: unknown[], parameterFormat?: string): TemplateSlots {
  const slots: TemplateSlots = { header: 0, body: 0, buttons: [] };
  const authentication = upper(category) === 'AUTHENTICATION';
  const list = Array.isArray(components) ? components : [];
  for (const component of list) {
    if (!isObject(component)) continue;
    const type = upper(component.type);
    if (type === 'HEADER') {
      const format = upper(component.format) ?? 'TEXT';
      if (format === 'TEXT') {
        slots.header = typeof component.text === 'string' && placeholders(component.text).total > 0 ? 1 : 0;
      } else if (HEADER_FORMATS.includes(format)) {
        slots.header = 1;
      }
    } else if (type === 'BODY') {
      if (authentication) {
        slots.body = 1;
        continue;
      }
      const found = placeholders(typeof component.text === 'string' ? component.text : '');
      // Without a stated format, a body of names only is NAMED (Meta's list may omit parameter_format).
      const named =
        parameterFormat === undefined ? found.names.length > 0 && !found.numbers.length : isNamed(parameterFormat);
      slots.body = named ? [...found.names].sort() : found.numbers.length;
    } else if (type === 'BUTTONS' && Array.isArray(component.buttons)) {
      slots.buttons = component.buttons.map((button: unknown) => {
        if (!isObject(button)) return 'none';
        const kind = upper(button.type);
        if (kind === 'OTP' || kind === 'COPY_CODE') return 'required';
        if (kind === 'URL')
          return typeof button.url === 'string' && placeholders(button.url).total > 0 ? 'required' : 'none';
        if (kind === 'QUICK_REPLY') return 'optional';
        return 'none';
      });
    }
  }
  if (authentication) slots.body = 1;
  return slots;
}

const PARAMETER_GROUPS = ['header', 'body', 'buttons'];

/** A value the send builder turns into one parameter: a string, a number or a Meta parameter `{type, …}`. */
const isParameterValue = (value: unknown): boolean =>
  typeof value === 'string' ||
  (typeof value === 'number' && Number.isFinite(value)) ||
  (isObject(value) && typeof value.type === 'string');

const PARAMETER_VALUE = 'must be a string, a number or a Meta parameter {type, …}';

function headerParameterIssues(expected: number, value: unknown, issues: FieldIssue[]): void {
  const list = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
  if (list.length !== expected) {
    issues.push({
      field: 'header',
      issue:
        expected === 0
          ? `takes no header parameter, got ${list.length}`
          : `takes ${plural(expected, 'header parameter')}, got ${list.length}`,
    });
    return;
  }
  list.forEach((item: unknown, i) => {
    if (!isParameterValue(item))
      issues.push({ field: Array.isArray(value) ? `header[${i}]` : 'header', issue: PARAMETER_VALUE });
  });
}

function bodyParameterIssues(expected: number | string[], value: unknown, issues: FieldIssue[]): void {
  const given = value === undefined || value === null ? undefined : value;
  if (Array.isArray(expected)) {
    if (given === undefined && expected.length === 0) return;
    if (!isObject(given)) {
      issues.push({
        field: 'body',
        issue: `takes named body parameters {${expected.join(', ')}}, got ${Array.isArray(given) ? 'a list' : given === undefined ? 'none' : typeof given}`,
      });
      return;
    }
    const names = Object.keys(given);
    for (const name of expected) {
      if (!names.includes(name)) issues.push({ field: `body.${name}`, issue: 'missing named body parameter' });
      else if (!isParameterValue(given[name])) issues.push({ field: `body.${name}`, issue: PARAMETER_VALUE });
    }
    for (const name of names) {
      if (!expected.includes(name)) {
        issues.push({
          field: `body.${name}`,
          issue: `not a placeholder of this template (takes ${expected.join(', ') || 'none'})`,
        });
      }
    }
    return;
  }
  if (isObject(given)) {
    issues.push({
      field: 'body',
      issue: `takes ${plural(expected, 'body parameter')} as a list, got named parameters`,
    });
    return;
  }
  const list = given === undefined ? [] : Array.isArray(given) ? given : [given];
  if (list.length !== expected) {
    issues.push({ field: 'body', issue: `takes ${plural(expected, 'body parameter')}, got ${list.length}` });
    return;
  }
  list.forEach((item: unknown, i) => {
    if (!isParameterValue(item))
      issues.push({ field: Array.isArray(given) ? `body[${i}]` : 'body', issue: PARAMETER_VALUE });
  });
}

/** A button parameter the send builder understands: a URL suffix string or `{subType, …}`. */
function buttonValueIssue(value: unknown, slot: 'required' | 'optional'): string | null {
  const spec = isObject(value) ? value : undefined;
  const subType = spec ? (spec.subType ?? spec.sub_type) : undefined;
  const quickReply = subType === 'quick_reply' && typeof spec?.payload === 'string';
  const url = typeof value === 'string' || (subType === 'url' && typeof spec?.text === 'string');
  const copyCode =
    subType === 'copy_code' && (typeof spec?.couponCode === 'string' || typeof spec?.coupon_code === 'string');
  if (slot === 'optional') return quickReply ? null : "a quick-reply button takes {subType: 'quick_reply', payload}";
  if (url || copyCode) return null;
  return quickReply
    ? 'this button is not a quick reply: it takes a URL suffix string or {subType: "copy_code", couponCode}'
    : "must be a string (the URL suffix or code), {subType: 'url', text} or {subType: 'copy_code', couponCode}";
}

function buttonParameterIssues(slots: TemplateSlots['buttons'], value: unknown, issues: FieldIssue[]): void {
  if (value !== undefined && value !== null && !Array.isArray(value)) {
    issues.push({ field: 'buttons', issue: 'must be a list by button position (null for a button without parameter)' });
    return;
  }
  const given: unknown[] = Array.isArray(value) ? value : [];
  const positions = Math.max(slots.length, given.length);
  for (let i = 0; i < positions; i++) {
    const item = given[i] ?? null;
    const slot = slots[i];
    const field = `buttons[${i}]`;
    if (slot === undefined) {
      if (item !== null) issues.push({ field, issue: `the template has only ${plural(slots.length, 'button')}` });
    } else if (slot === 'required') {
      if (item === null) issues.push({ field, issue: 'this button takes a parameter, got none' });
      else {
        const problem = buttonValueIssue(item, slot);
        if (problem) issues.push({ field, issue: problem });
      }
    } else if (slot === 'none') {
      if (item !== null) issues.push({ field, issue: 'this button takes no parameter (give null)' });
    } else if (item !== null) {
      const problem = buttonValueIssue(item, slot);
      if (problem) issues.push({ field, issue: problem });
    }
  }
}

/**
 * Problems with a message's parameters `{header?, body?, buttons?}` against the slots; fields relative, e.g.
 * 'body', 'header', 'buttons[1]'. Issue text states expected vs given counts, e.g. 'takes 3 body parameters, got 2'.
 */
export function templateParameterIssues(
  slots: TemplateSlots,
  parameters: Record<string, unknown> | undefined,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (parameters !== undefined && parameters !== null && !isObject(parameters)) {
    return [{ field: 'parameters', issue: 'must be an object {header?, body?, buttons?}' }];
  }
  const input: Obj = parameters ?? {};
  for (const key of Object.keys(input)) {
    if (!PARAMETER_GROUPS.includes(key)) {
      issues.push({ field: key, issue: 'unknown parameter group (expected header, body, buttons)' });
    }
  }
  headerParameterIssues(slots.header, input.header, issues);
  bodyParameterIssues(slots.body, input.body, issues);
  buttonParameterIssues(slots.buttons, input.buttons, issues);
  return issues;
}

const EVENT_STATUS: Record<string, TemplateStatus> = {
  APPROVED: 'APPROVED',
  ARCHIVED: 'ARCHIVED',
  DELETED: 'DELETED',
  DISABLED: 'DISABLED',
  FLAGGED: 'FLAGGED',
  IN_APPEAL: 'IN_APPEAL',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  LOCKED: 'LOCKED',
  PAUSED: 'PAUSED',
  PENDING: 'PENDING',
  REINSTATED: 'APPROVED',
  PENDING_DELETION: 'PENDING_DELETION',
  REJECTED: 'REJECTED',
};

/**
 * How a status webhook `event` changes a template's status. `previous` is the status before the current one
 * (for UNARCHIVED/UNLOCKED, which return to it; default 'APPROVED'). REINSTATED → APPROVED; a PAUSED event
 * whose other_info.title is 'UNPAUSE' → APPROVED. Unknown events → null (ignored).
 */
export function statusAfterEvent(
  event: string,
  otherInfoTitle: string | undefined,
  previous: TemplateStatus | null,
): TemplateStatus | null {
  const name = typeof event === 'string' ? event.toUpperCase() : '';
  if (name === 'UNARCHIVED') return previous && previous !== 'ARCHIVED' ? previous : 'APPROVED';
  if (name === 'UNLOCKED') return previous && previous !== 'LOCKED' ? previous : 'APPROVED';
  if (name === 'PAUSED' && otherInfoTitle?.toUpperCase() === 'UNPAUSE') return 'APPROVED';
  return Object.hasOwn(EVENT_STATUS, name) ? EVENT_STATUS[name] : null;
}
