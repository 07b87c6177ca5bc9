import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';

export class ConsentDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() sms?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() whatsapp?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() viber?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() rcs?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() email?: boolean;
}

/** Upsert body: fields present replace stored ones (`null` clears); absent fields are kept. */
export class PutContactRequest {
  @ApiPropertyOptional({ example: '+447700900123', nullable: true, description: 'E.164; normalised' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone?: string | null;

  @ApiPropertyOptional({ example: 'ana@example.com', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string | null;

  @ApiPropertyOptional({ example: '01234567890A=', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  viberId?: string | null;

  @ApiPropertyOptional({ example: 'Europe/London', nullable: true, description: 'IANA time zone' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string | null;

  @ApiPropertyOptional({ example: 'en-GB', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(35)
  locale?: string | null;

  @ApiPropertyOptional({ example: { firstName: 'Ana' }, description: 'Merged into the stored attributes' })
  @IsOptional()
  @IsObject()
  attributes?: Record<string, unknown>;

  @ApiPropertyOptional({ type: ConsentDto, description: 'Per-channel consent; channels not mentioned keep theirs' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ConsentDto)
  consent?: ConsentDto;
}
