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

/** `limit` (1-100, default 50) and `cursor` (the last id of the page before, base64url) of a list query. */
export function readPage(
  text: (name: string) => string | undefined,
  id: RegExp,
  details: ErrorDetail[],
): { limit: number; before: string | undefined } {
  const limitText = text('limit');
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    details.push({ field: 'limit', issue: 'an integer from 1 to 100' });
  const cursor = text('cursor');
  const before = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
  if (before !== undefined && !id.test(before)) details.push({ field: 'cursor', issue: 'not a cursor from this API' });
  return { limit, before };
}

/** Rows read with `limit + 1`: the page, and the cursor of the next one when there is more. */
export function pageOf<T extends { id: string }>(rows: T[], limit: number): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit);
  return { data, nextCursor: rows.length > limit ? Buffer.from(data.at(-1)!.id).toString('base64url') : null };
}
