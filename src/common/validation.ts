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
