import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  TEMPLATE_CATEGORIES,
  templateDefinitionIssues,
  type TemplateDefinition,
} from '#libs/channels/src/whatsapp-cloud/index.js';
import { CHANNELS, normalizeLanguage, type Channel } from '#libs/core/src/index.js';
import type { ErrorDetail } from '../common/herald-error.js';

/** The body of POST /v1/templates, for the OpenAPI document; validation is by hand below (Meta's format). */
export class CreateTemplateRequest {
  @ApiPropertyOptional({ enum: CHANNELS, default: 'whatsapp' }) channel?: string;
  @ApiProperty({ example: 'cart_reminder', description: 'WhatsApp: lower case letters, digits and underscores' })
  name: string;
  @ApiPropertyOptional({ example: 'en_US', description: 'Required for WhatsApp' }) language?: string;
  @ApiPropertyOptional({ enum: TEMPLATE_CATEGORIES, description: 'Required for WhatsApp' }) category?: string;
  @ApiPropertyOptional({
    description: "WhatsApp: Meta's components (HEADER, BODY with examples, FOOTER, BUTTONS)",
    example: [
      { type: 'BODY', text: 'Hi {{1}}, your cart is waiting: {{2}}', example: { body_text: [['Ana', 'https://x']] } },
    ],
  })
  components?: Record<string, unknown>[];
  @ApiPropertyOptional({ enum: ['POSITIONAL', 'NAMED'] }) parameter_format?: string;
  @ApiPropertyOptional({
    description: 'Other channels: the content a message gets when it names this template ({{variables}} allowed)',
    example: { text: 'Hi {{name}}, your cart is waiting: {{cartUrl}}' },
  })
  content?: Record<string, unknown>;
}

export type TemplateRequest =
  | { channel: 'whatsapp'; definition: TemplateDefinition }
  | { channel: Exclude<Channel, 'whatsapp'>; name: string; language: string; content: Record<string, unknown> };

const CONTENT_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const LANGUAGE = /^[a-z]{2,3}([_-][A-Za-z]{2,4})?$/;

/** Which content fields each channel's stored template may hold, and the longest string each may be. */
const CONTENT_FIELDS: Record<Exclude<Channel, 'whatsapp'>, Record<string, number>> = {
  sms: { text: 4096 },
  viber: { text: 4096, imageUrl: 2048 },
  rcs: { text: 3072 },
  email: { subject: 998, text: 512_000, html: 512_000 },
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function contentIssues(channel: Exclude<Channel, 'whatsapp'>, content: unknown): ErrorDetail[] {
  if (!isObject(content)) return [{ field: 'content', issue: `an object with the ${channel} content` }];
  const issues: ErrorDetail[] = [];
  const fields = CONTENT_FIELDS[channel];
  for (const [key, value] of Object.entries(content)) {
    if (channel === 'viber' && key === 'button') {
      if (!isObject(value) || typeof value.text !== 'string' || typeof value.url !== 'string')
        issues.push({ field: 'content.button', issue: 'an object {text, url}' });
      continue;
    }
    if (channel === 'rcs' && key === 'suggestions') {
      if (!Array.isArray(value) || value.length > 11)
        issues.push({ field: 'content.suggestions', issue: 'a list of at most 11' });
      continue;
    }
    const max = fields[key];
    if (max === undefined) issues.push({ field: `content.${key}`, issue: `not a ${channel} content field` });
    else if (typeof value !== 'string' || value.length === 0 || value.length > max)
      issues.push({ field: `content.${key}`, issue: `a non-empty string of at most ${max} characters` });
  }
  const has = (key: string) => typeof content[key] === 'string';
  if (channel === 'email' && !has('subject')) issues.push({ field: 'content.subject', issue: 'required for email' });
  if (channel === 'email' && !has('text') && !has('html'))
    issues.push({ field: 'content.text', issue: 'email needs text or html' });
  if (channel === 'viber' && !has('text') && !has('imageUrl'))
    issues.push({ field: 'content.text', issue: 'viber needs text or imageUrl' });
  if ((channel === 'sms' || channel === 'rcs') && !has('text'))
    issues.push({ field: 'content.text', issue: `required for ${channel}` });
  return issues;
}

/** Validates a create body; returns the request or every problem found. */
export function parseTemplateRequest(body: unknown): TemplateRequest | ErrorDetail[] {
  if (!isObject(body)) return [{ field: 'body', issue: 'must be a JSON object' }];
  const channel = body.channel ?? 'whatsapp';
  if (typeof channel !== 'string' || !(CHANNELS as readonly string[]).includes(channel)) {
    return [{ field: 'channel', issue: `one of ${CHANNELS.join(', ')}` }];
  }
  if (channel === 'whatsapp') {
    const { channel: _ignored, ...definition } = body;
    void _ignored;
    const issues = templateDefinitionIssues(definition);
    for (const key of Object.keys(definition)) {
      if (!['name', 'language', 'category', 'components', 'parameter_format'].includes(key))
        issues.push({ field: key, issue: 'unknown field for a WhatsApp template' });
    }
    if (issues.length) return issues;
    return {
      channel,
      definition: {
        name: definition.name as string,
        language: definition.language as string,
        category: definition.category as TemplateDefinition['category'],
        components: definition.components as Record<string, unknown>[],
        ...(definition.parameter_format
          ? { parameterFormat: definition.parameter_format as 'POSITIONAL' | 'NAMED' }
          : {}),
      },
    };
  }
  const issues: ErrorDetail[] = [];
  if (typeof body.name !== 'string' || !CONTENT_NAME.test(body.name))
    issues.push({ field: 'name', issue: '1-128 letters, digits, _ . or -' });
  if (body.language !== undefined && (typeof body.language !== 'string' || !LANGUAGE.test(body.language)))
    issues.push({ field: 'language', issue: 'a language code such as en or en_US' });
  for (const key of Object.keys(body)) {
    if (!['channel', 'name', 'language', 'content'].includes(key))
      issues.push({ field: key, issue: `unknown field for a ${channel} template` });
  }
  issues.push(...contentIssues(channel as Exclude<Channel, 'whatsapp'>, body.content));
  if (issues.length) return issues;
  return {
    channel: channel as Exclude<Channel, 'whatsapp'>,
    name: body.name as string,
    language: body.language === undefined ? '' : normalizeLanguage(body.language as string),
    content: body.content as Record<string, unknown>,
  };
}
