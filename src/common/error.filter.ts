import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError, type ErrorCode } from './herald-error.js';
import { UNSTORABLE_ISSUE } from './storable-text.js';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'RULE_VIOLATION',
  429: 'RATE_LIMITED',
  503: 'NOT_READY',
};

/** The body parser's code for text PostgreSQL cannot store (src/common/storable-text.ts). */
export const UNSTORABLE_CODE = 'HERALD_UNSTORABLE_TEXT';

/** Maps every error to API §2's body; anything unexpected is a 500 INTERNAL, logged without the request. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    let status = 500;
    let code: ErrorCode = 'INTERNAL';
    let message = 'Internal error';
    let details: { field: string; issue: string }[] = [];
    let extra: Record<string, unknown> | undefined;

    // Nest's Fastify adapter wraps Fastify's own client errors (bad JSON, body too large) in an HttpException.
    const fastifyError = isFastifyClientError(exception)
      ? exception
      : exception instanceof HttpException && isFastifyClientError(exception.cause)
        ? exception.cause
        : null;

    if (exception instanceof HeraldError) {
      ({ status, code, message, details, extra } = exception);
    } else if (fastifyError) {
      status = fastifyError.statusCode;
      code = CODE_BY_STATUS[status] ?? 'VALIDATION_FAILED';
      message = status === 413 ? 'The request body is too large' : clientMessage(fastifyError);
      if (status === 400 && fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
        details = [{ field: 'body', issue: 'invalid JSON' }];
      if (status === 400 && fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
        details = [{ field: 'body', issue: 'empty' }];
      if (fastifyError.code === UNSTORABLE_CODE) {
        message = 'The request holds text that cannot be stored';
        details = [{ field: (fastifyError as { field?: string }).field ?? 'body', issue: UNSTORABLE_ISSUE }];
      }
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED');
      const body = exception.getResponse();
      message = typeof body === 'string' ? body : exception.message;
      if (status === 404) message = `No route ${request.method} ${request.url.split('?')[0]}`;
    } else {
      this.logger.error({ err: exception, requestId: request.id }, 'unhandled error');
    }
    if (status === 429 || code === 'PROVIDER_UNAVAILABLE')
      void reply.header('Retry-After', status === 429 ? '1' : '30');
    void reply.status(status).send({ error: { code, message, details, ...extra, requestId: request.id } });
  }
}

interface FastifyClientError {
  statusCode: number;
  code?: string;
  message: string;
}

function isFastifyClientError(error: unknown): error is FastifyClientError {
  const status = (error as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function clientMessage(error: FastifyClientError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'Content-Type must be application/json';
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'The JSON body is empty';
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError)
    return 'The body is not valid JSON';
  return error.message;
}
