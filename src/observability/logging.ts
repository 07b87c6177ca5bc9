import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';

/**
 * Structured logs with personal data and secrets removed: no phone, email, message body, token or key
 * ever reaches a log line, whatever object a caller passes.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twilio-signature"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-viber-content-signature"]',
  'req.headers["x-goog-signature"]',
  'req.body',
  'res.headers["set-cookie"]',
  '*.phone',
  '*.email',
  '*.to',
  '*.from',
  '*.body',
  '*.text',
  '*.html',
  '*.subject',
  '*.address',
  '*.recipient',
  '*.content',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.token',
];

/** The path without its query, and without contact ids (a workspace may use email addresses as ids). */
export function redactPath(url: string): string {
  return url.split('?')[0].replace(/^(\/v1\/contacts\/)[^/]+/, '$1[redacted]');
}

export function loggerParams(level: string): Params {
  return {
    // nestjs-pino's default route ('{/*splat}') matches nothing on Nest 12 with Fastify: no request was logged.
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    pinoHttp: {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      genReqId: (req) => (req as { id?: string }).id ?? '',
      // Query strings can carry addresses (list filters): log the path only.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: redactPath(req.url),
        }),
      },
      customLogLevel: (_req, res, error) =>
        error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
    },
  };
}
