import rateLimit from '@fastify/rate-limit';
import { telemetryBatchLimits } from '@gatehouse/policy';
import type { FastifyPluginAsync } from 'fastify';
import * as T from 'typebox';
import { requireCsrf, requireJson } from '../http/guards.js';
import { replyProblem } from '../problem.js';
import { logSecurityReports } from '../reports.js';
import { sessionRef } from '../sessions.js';
import { credentialProblem, logTelemetry, TelemetryBatchSchema } from '../telemetry.js';
import type { BffRouteOptions } from './route-options.js';

const REPORT_TYPES = ['application/reports+json', 'application/csp-report'];

/** `POST /reports`: the Reporting API's list of reports, or a legacy `{ "csp-report": {…} }`. */
const ReportsBody = T.Union([
  T.Array(T.Record(T.String(), T.Unknown())),
  T.Object({ 'csp-report': T.Record(T.String(), T.Unknown()) }),
  // WebKit (Safari, WebKitGTK 2.50) sends each `report-to` report alone, not in a list, and labels it
  // `application/csp-report`.
  T.Object({ type: T.String(), body: T.Record(T.String(), T.Unknown()) }),
]);

/**
 * What browsers send the BFF on their own: `POST /telemetry` (the shell's auth events) and `POST /reports`
 * (CSP and Integrity-Policy reports). Small, rate-limited, validated, logged; never stored.
 */
export const ingestRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, options) => {
  await scope.register(telemetry, options);
  await scope.register(reports, options);
};

/**
 * `POST /telemetry` with `x-csrf: 1` and JSON: 1–20 events of the telemetry contract, no value that looks
 * like a credential; 16 KB at most; 60 a minute per session (or address). Logged without the route's query
 * or any identity; 202.
 */
const telemetry: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, log } = runtime;
  await scope.register(rateLimit, {
    global: false,
    max: 60,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const id = request.session.id;
      return id === undefined ? request.ip : sessionRef(id);
    },
    errorResponseBuilder: (_request, context) => ({
      statusCode: context.statusCode,
      message: 'Too many telemetry requests.',
    }),
  });
  scope.post<{ Body: T.Static<typeof TelemetryBatchSchema> }>(
    '/telemetry',
    {
      bodyLimit: telemetryBatchLimits.bytes,
      config: { rateLimit: {} },
      schema: { body: TelemetryBatchSchema },
      onRequest: [requireCsrf(config.origin, log), requireJson({ optional: false, detail: 'Send JSON.' })],
    },
    async (request, reply) => {
      const problem = credentialProblem(request.body.events);
      if (problem) return replyProblem(reply, 400, 'bad_request', problem);
      logTelemetry(log, request.body.events);
      return reply.code(202).header('cache-control', 'no-store').send();
    },
  );
};

/**
 * `POST /reports`: sent by the browser itself, so no CSRF header; only the reports' own content types
 * (≤ 64 KB), 120 a minute. Each report is logged as one `security_report` line; 204.
 */
const reports: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  await scope.register(rateLimit, { global: false, max: 120, timeWindow: 60_000 });
  scope.addContentTypeParser(
    REPORT_TYPES,
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(Object.assign(new Error('The report is not JSON.'), { statusCode: 400 }), undefined);
      }
    },
  );
  scope.post<{ Body: T.Static<typeof ReportsBody> }>(
    '/reports',
    {
      config: { rateLimit: {} },
      schema: { body: ReportsBody },
      onRequest: async (request, reply) => {
        const type = request.headers['content-type'] ?? '';
        if (REPORT_TYPES.some((known) => type.startsWith(known))) return undefined;
        return replyProblem(reply, 415, 'unsupported_media_type', 'Send a browser report.');
      },
    },
    async (request, reply) => {
      logSecurityReports(runtime.log, request.body);
      return reply.code(204).send();
    },
  );
};
