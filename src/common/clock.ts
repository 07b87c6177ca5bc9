import { Injectable } from '@nestjs/common';

/**
 * The time the trigger engine reasons with (windows, timers, quiet hours, caps). Injected, so a test module can
 * replace it (`overrideProvider(Clock)`) and walk through hours of rule time in milliseconds.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
