import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import { Logger as PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module.js';
import { ErrorFilter, UNSTORABLE_CODE } from './common/error.filter.js';
import { mayHoldUnstorableText, UNSTORABLE_ISSUE, unstorableField } from './common/storable-text.js';
import { heraldValidationPipe } from './common/validation.js';
import type { HeraldConfig } from './config/config.js';
import { DSN_CONTENT_TYPES } from './webhooks/email-dsn.controller.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;
export const BODY_LIMIT = 10 * 1024 * 1024;
const MAX_PARAM_LENGTH = 256;

/** Builds the HTTP application (roles `all` and `api`); the caller listens. */
export async function createHttpApp(config: HeraldConfig, databaseUrl: string): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    // Echo a sane client request id, else make one; every response carries it.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    trustProxy: true,
    // Path parameters are ids of at most 128 characters (contact external ids); the router's default is 100.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router answers a malformed or over-long path itself, before Nest: give it API §2's body and request id.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const malformed = error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const issue =
        error.code === 'FST_ERR_BAD_URL'
          ? 'not a valid URL'
          : `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`;
      void reply
        .header('X-Request-Id', request.id)
        .status(malformed ? 400 : 500)
        .send({
          error: malformed
            ? {
                code: 'VALIDATION_FAILED',
                message: 'The request path is not valid',
                details: [{ field: 'path', issue }],
                requestId: request.id,
              }
            : { code: 'INTERNAL', message: 'Internal error', details: [], requestId: request.id },
        });
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, databaseUrl), adapter, {
    bufferLogs: true,
    rawBody: true,
  });
  app.useLogger(app.get(PinoLogger));
  app.useGlobalFilters(new ErrorFilter());
  app.useGlobalPipes(heraldValidationPipe());
  // No enableShutdownHooks(): main.ts owns SIGINT/SIGTERM and closes the app once (see onSignal there).
  const fastify = app.getHttpAdapter().getInstance();
  // Webhooks check their signature on the raw bytes before anything else, so their JSON is not parsed here
  // (a forged body that is not even JSON gets the same 401 as any other forgery); the handler parses it
  // after the check. Every other route gets Fastify's JSON parser, with its prototype-poisoning guards.
  const json = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit: BODY_LIMIT }, (request, body, done) => {
    if ((request.url ?? '').startsWith('/webhooks/')) return done(null, body);
    const text = body.toString('utf8');
    if (!mayHoldUnstorableText(text)) return json(request, text, done);
    json(request, text, (error, parsed) => {
      const field = error ? null : unstorableField(parsed);
      if (!field) return done(error, parsed);
      done(Object.assign(new Error(`${field} ${UNSTORABLE_ISSUE}`), { statusCode: 400, code: UNSTORABLE_CODE, field }));
    });
  });
  // Bounces arrive as raw email: keep their bytes for the DSN parser.
  fastify.addContentTypeParser(DSN_CONTENT_TYPES, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('X-Request-Id', request.id);
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Herald')
      .setDescription(
        'One API for SMS, WhatsApp, Viber, RCS and email, with cascade fallback. Errors: {"error": {code, message, details, requestId}}.',
      )
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'Workspace API key (or HERALD_ADMIN_TOKEN for admin routes)',
      })
      .addBasicAuth({
        type: 'http',
        scheme: 'basic',
        description:
          'Segment write key: the workspace API key as user name, empty password (POST /v1/integrations/segment)',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
  return app;
}
