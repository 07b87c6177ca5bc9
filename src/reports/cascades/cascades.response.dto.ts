import { ApiProperty } from '@nestjs/swagger';

export class CascadeRowDto {
  @ApiProperty({
    example: ['whatsapp', 'sms'],
    description: 'The channels attempted, in order, skipped ones included ([] when none was attempted yet)',
  })
  path: string[];

  @ApiProperty({ example: 'delivered', description: "The message's status (final or not)" })
  outcome: string;

  @ApiProperty({ description: 'Messages created in [from, to) with that path and outcome' })
  count: number;
}

export class CascadesResponseDto {
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ type: [CascadeRowDto], description: 'Most frequent first' }) rows: CascadeRowDto[];
}
