import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { HeraldError, type ErrorDetail } from './herald-error.js';

/** Flattens class-validator's tree into `{field: "to.phone", issue}` pairs. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const field = parent
      ? /^\d+$/.test(error.property)
        ? `${parent}[${error.property}]`
        : `${parent}.${error.property}`
      : error.property;
    for (const issue of Object.values(error.constraints ?? {})) details.push({ field, issue });
    if (error.children?.length) details.push(...flattenValidationErrors(error.children, field));
  }
  return details;
}

/** The one ValidationPipe: whitelisting, transformation, and a factory that never returns undefined. */
export function heraldValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const details = flattenValidationErrors(errors);
      return HeraldError.validation(details.length ? details : [{ field: 'body', issue: 'invalid' }]);
    },
  });
}

/**
 * Reads optional single-valued query parameters: empty counts as absent, and a repeated one (`?a=1&a=2`,
 * which arrives as an array) is recorded in `details` instead of being half-used.
 */
export function queryReader(query: Record<string, unknown>, details: ErrorDetail[]) {
  return (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') details.push({ field: name, issue: 'give it once' });
    return typeof value === 'string' ? value : undefined;
  };
}
