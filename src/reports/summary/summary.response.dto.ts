import { ApiProperty } from '@nestjs/swagger';
import { GROUP_BYS } from '../report-query.js';

/**
 * The OpenAPI description of the summary: every figure is defined here, the same way as in the README
 * ("Reports"). The rows are computed from the stored state when the request is made.
 */
export class MoneyDto {
  @ApiProperty({ example: '0.0926', description: 'Decimal string with 4 to 6 decimals, summed exactly' })
  amount: string;

  @ApiProperty({ example: 'USD', description: 'ISO 4217' })
  currency: string;
}

export class SummaryFiguresDto {
  @ApiProperty({ description: 'Messages created in [from, to) that fall in this group, whatever their status' })
  accepted: number;

  @ApiProperty({ description: 'Messages whose status is sent, delivered or read (reached sent or beyond)' })
  sent: number;

  @ApiProperty({ description: 'Messages whose status is delivered or read' })
  delivered: number;

  @ApiProperty({ description: 'Messages whose status is read' })
  read: number;

  @ApiProperty({ description: 'Messages whose status is failed or rejected' })
  failed: number;

  @ApiProperty({ description: 'Of `failed`: rejected (no channel of the cascade could take the message)' })
  rejected: number;

  @ApiProperty({ description: 'Messages whose status is expired (validity ended first)' })
  expired: number;

  @ApiProperty({ description: 'Messages whose status is canceled' })
  canceled: number;

  @ApiProperty({
    description:
      'Messages not final yet (accepted, scheduled, sending). accepted = sent + failed + expired + canceled + pending',
  })
  pending: number;

  @ApiProperty({ description: 'Messages with more than one attempt (skipped attempts included): the cascade moved on' })
  fellBack: number;

  @ApiProperty({ nullable: true, example: 0.97, description: 'delivered / accepted, 4 decimals (null: no messages)' })
  deliveryRate: number | null;

  @ApiProperty({
    nullable: true,
    example: 4.2,
    description:
      'Median over delivered (or read) messages of the time from the message being accepted (createdAt) to the ' +
      'delivery of the attempt on its final channel (deliveredAt, else readAt when the provider reported read ' +
      'only), both cut to the millisecond the API shows; seconds with up to 4 decimals. Null when none was delivered',
  })
  medianSecondsToDeliver: number | null;

  @ApiProperty({ nullable: true, example: 0.12, description: 'fellBack / accepted, 4 decimals (null: no messages)' })
  fallbackRate: number | null;

  @ApiProperty({
    type: MoneyDto,
    description:
      'Sum of the costs of all attempts of these messages (failed and fallen-back ones included), in the ' +
      "workspace's rate-card currency. Sandbox attempts cost 0",
  })
  cost: MoneyDto;

  @ApiProperty({
    type: [MoneyDto],
    description: 'Costs of attempts priced in another currency (e.g. before the rate card changed currency), if any',
  })
  otherCosts: MoneyDto[];
}

export class SummaryRowDto extends SummaryFiguresDto {
  @ApiProperty({
    example: 'sms',
    description:
      'channel: the channel the message ended on (that of its last attempt, or of an earlier one whose late success ' +
      "ended the cascade); provider: that attempt's provider; template: the stored template named for that " +
      'channel, else the first template the message names in cascade order; trigger / broadcast: the id of the ' +
      "trigger or broadcast that made it; country: the ISO 3166 country of the recipient's phone number; day: the " +
      'date (YYYY-MM-DD) the message was created, in `tz`. "none" when the message has no value (never attempted, ' +
      'no template, not from a trigger, no phone number)',
  })
  key: string;

  @ApiProperty({ description: 'The trigger or broadcast name for those groupings; otherwise the key' })
  label: string;
}

export class SummaryResponseDto {
  @ApiProperty({ enum: GROUP_BYS })
  groupBy: string;

  @ApiProperty({ format: 'date-time', description: 'Start of the range (inclusive), after defaults' })
  from: string;

  @ApiProperty({ format: 'date-time', description: 'End of the range (exclusive), after defaults' })
  to: string;

  @ApiProperty({ example: 'UTC' })
  timeZone: string;

  @ApiProperty({
    type: [SummaryRowDto],
    description: 'Days in date order; other groupings biggest first (accepted, then key)',
  })
  rows: SummaryRowDto[];

  @ApiProperty({
    type: SummaryFiguresDto,
    description: 'The same figures over all messages of the range (the median is over all of them, not of the rows)',
  })
  totals: SummaryFiguresDto;
}
