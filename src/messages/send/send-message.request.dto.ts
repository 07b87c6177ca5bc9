import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { CHANNELS, SUCCESS_ON } from '#libs/core/src/index.js';

export class RecipientDto {
  @ApiPropertyOptional({
    example: 'cust-42',
    description: "Your contact id: the contact's addresses and consent are used",
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  contactId?: string;
  @ApiPropertyOptional({ example: '+447700900123', description: 'E.164; overrides the contact' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone?: string;
  @ApiPropertyOptional({ example: 'ana@example.com' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;
  @ApiPropertyOptional({ example: '01234567890A=' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  viberId?: string;
}

export class TemplateRefDto {
  @ApiProperty({ example: 'cart_reminder', description: 'A WhatsApp template registered with POST /v1/templates' })
  @IsString()
  @MaxLength(512)
  name: string;
  @ApiPropertyOptional({ example: 'en_US', description: 'Needed when the template exists in several languages' })
  @IsOptional()
  @IsString()
  @MaxLength(15)
  language?: string;
  @ApiPropertyOptional({
    example: { body: ['{{name}}', 'https://shop.example/cart/1'] },
    description:
      '{header?, body?: [...] (or {name: value} for NAMED templates), buttons?: [...]}; strings may use {{variables}}',
  })
  @IsOptional()
  @IsObject()
  parameters?: Record<string, unknown>;
}

export class TextContentDto {
  @ApiPropertyOptional({ example: 'Hi {{name}}' }) @IsOptional() @IsString() @MaxLength(4096) text?: string;
}

/** Content that may name a stored template (POST /v1/templates with this channel) instead of, or beside, inline fields. */
export class NamedTemplateContentDto extends TextContentDto {
  @ApiPropertyOptional({
    example: 'cart_reminder_sms',
    description: "A stored template's name; inline fields given beside it win over the template's",
  })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  template?: string;
}

export class SmsContentDto extends NamedTemplateContentDto {}

export class WhatsAppContentDto extends TextContentDto {
  @ApiPropertyOptional({ type: TemplateRefDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => TemplateRefDto)
  template?: TemplateRefDto;
}

export class ButtonDto {
  @ApiProperty() @IsString() @MaxLength(30) text: string;
  @ApiProperty() @IsString() @IsUrl({ require_protocol: true }) url: string;
}

export class ViberContentDto extends NamedTemplateContentDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsUrl({ require_protocol: true }) imageUrl?: string;
  @ApiPropertyOptional({ type: ButtonDto }) @IsOptional() @ValidateNested() @Type(() => ButtonDto) button?: ButtonDto;
}

export class RcsContentDto extends NamedTemplateContentDto {
  @ApiPropertyOptional({ example: [{ reply: { text: 'Yes', postbackData: 'yes' } }] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(11)
  suggestions?: unknown[];
}

export class EmailContentDto extends NamedTemplateContentDto {
  @ApiPropertyOptional({ example: 'Your cart' }) @IsOptional() @IsString() @MaxLength(998) subject?: string;
  @ApiPropertyOptional({ example: '<p>Hi {{name}}</p>' }) @IsOptional() @IsString() @MaxLength(512_000) html?: string;
}

export class ContentDto extends TextContentDto {
  @ApiPropertyOptional({ type: SmsContentDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SmsContentDto)
  sms?: SmsContentDto;
  @ApiPropertyOptional({ type: WhatsAppContentDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => WhatsAppContentDto)
  whatsapp?: WhatsAppContentDto;
  @ApiPropertyOptional({ type: ViberContentDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ViberContentDto)
  viber?: ViberContentDto;
  @ApiPropertyOptional({ type: RcsContentDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RcsContentDto)
  rcs?: RcsContentDto;
  @ApiPropertyOptional({ type: EmailContentDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => EmailContentDto)
  email?: EmailContentDto;
}

export class FallbackDto {
  @ApiPropertyOptional({
    example: '60s',
    description: 'Seconds, "90s", "30m", "2h" or ISO 8601; default 60s',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  })
  @IsOptional()
  after?: string | number;
  @ApiPropertyOptional({ enum: SUCCESS_ON, default: 'delivered' }) @IsOptional() @IsIn(SUCCESS_ON) successOn?:
    'sent' | 'delivered' | 'read';
}

export class SendMessageRequest {
  @ApiProperty({ type: RecipientDto }) @ValidateNested() @Type(() => RecipientDto) @IsObject() to: RecipientDto;

  @ApiProperty({
    enum: CHANNELS,
    isArray: true,
    example: ['whatsapp', 'sms'],
    description: '1 to 5 distinct channels, in cascade order',
  })
  // Each value is checked in MessageIntake.parse, so an unknown one is named by its index (`channels[1]`).
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  channels: string[];

  @ApiProperty({ type: ContentDto }) @ValidateNested() @Type(() => ContentDto) @IsObject() content: ContentDto;

  @ApiPropertyOptional({ example: { name: 'Ana' }, description: 'Values for {{placeholders}}' })
  @IsOptional()
  @IsObject()
  variables?: Record<string, unknown>;

  @ApiPropertyOptional({ type: FallbackDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => FallbackDto)
  fallback?: FallbackDto;

  @ApiPropertyOptional({
    example: '1h',
    description: 'No attempt after this; default 24h',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  })
  @IsOptional()
  validity?: string | number;

  @ApiPropertyOptional({ example: '2026-12-24T09:00:00Z', format: 'date-time' })
  @IsOptional()
  @IsString()
  sendAt?: string;

  @ApiPropertyOptional({ example: 'https://client.example/herald-status' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl({ require_protocol: true, require_tld: false, protocols: ['http', 'https'] })
  callbackUrl?: string;

  @ApiPropertyOptional({ example: 'order-1001' }) @IsOptional() @IsString() @MaxLength(256) reference?: string;

  @ApiPropertyOptional({ example: { campaign: 'xmas' } }) @IsOptional() @IsObject() metadata?: Record<string, unknown>;
}

export class SendMessageResponse {
  @ApiProperty({ example: 'msg_0193…' }) id: string;
  @ApiProperty({ enum: ['accepted', 'scheduled'] }) status: string;
  @ApiProperty({ enum: CHANNELS, isArray: true }) channels: string[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}
