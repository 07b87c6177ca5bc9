import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

export class PutWebhookEndpointRequest {
  @ApiProperty({
    example: 'https://client.example/herald-status',
    description:
      'Receives every status change of every message of the workspace. https is recommended; private, loopback and ' +
      'link-local addresses are refused unless HERALD_ALLOW_PRIVATE_CALLBACKS=true',
  })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({
    example: 'whsec_0123456789abcdef0123',
    description:
      "Replaces the workspace's callback secret (16-256 printable ASCII characters); omitted, the current one stays",
  })
  @IsOptional()
  @IsString()
  @Length(16, 256)
  @Matches(/^[\x21-\x7e]+$/, { message: 'printable ASCII without spaces' })
  secret?: string;
}

export class WebhookEndpointResponse {
  @ApiProperty({ type: String, nullable: true, example: 'https://client.example/herald-status' }) url: string | null;
  @ApiProperty({ example: 'whsec_…', description: 'The key of Herald-Signature (HMAC-SHA256), as is' }) secret: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) createdAt: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) updatedAt: string | null;
}
