import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { BffConfig } from './config.js';
import type { SessionEventBus } from './events.js';
import { createLogger } from './logger.js';
import { serveMetrics } from './metrics.js';
import type { PageRenderer } from './pages.js';
import { gatehouseBff } from './plugin.js';
import { type ApiProxy, isApiTarget } from './proxy/index.js';
import type { GatehouseRuntime } from './runtime.js';
import type { SessionStore } from './session/types.js';

/** Options of {@link createBffServer}. */
export interface BffServerOptions {
  readonly config: BffConfig;
  readonly store?: SessionStore;
  readonly logger?: Logger;
  readonly renderPage?: PageRenderer | false;
  readonly events?: SessionEventBus;
}

/** A running standalone BFF. */
export interface BffServer {
  readonly app: FastifyInstance;
  readonly runtime: GatehouseRuntime;
  /** Where it listens, e.g. `http://127.0.0.1:4000`. */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Builds the standalone BFF: Fastify for `/auth/*` and pages, and a fast path that hands `/api/*` to the
 * proxy before Fastify's router, so the authenticated hot path does no more work than it must.
 *
 * @example
 * const bff = await createBffServer({ config });
 * await bff.listen();
 */
export async function createBffServer(
  options: BffServerOptions,
): Promise<{ app: FastifyInstance; runtime: GatehouseRuntime; listen(): Promise<BffServer> }> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.logLevel);
  // The proxy's one entry, `ApiProxy.handle`, known once the plugin has built the runtime (before listening).
  let proxy: ApiProxy | undefined;
  const app = Fastify({
    logger: false,
    trustProxy: (config.trustProxy > 0 ? config.trustProxy : false) as boolean,
    bodyLimit: 1024 * 1024,
    requestTimeout: 120_000,
    return503OnClosing: true,
    serverFactory: (handler) =>
      createServer(
        { keepAliveTimeout: 72_000, headersTimeout: 60_000, requestTimeout: 300_000 },
        (req, res) => {
          // The fast path: `/api/…` (origin-form, as sent) goes to the proxy's one entry before Fastify's
          // router, request and reply objects and hooks; everything else, absolute-form targets included, is
          // Fastify's, whose `/api/*` route (the plugin's) calls the same `proxy.handle`. Measured (CPU profiles
          // of bench/servers/bff.ts under wrk, both ways in the same run): going through Fastify costs 1–2 % of
          // the server's CPU per proxied request, below the run-to-run noise of requests/s on the 2-core bench
          // machine. Kept since it is this one condition: the checks and the proxy are the same either way.
          if (proxy !== undefined && isApiTarget(req.url)) proxy.handle(req, res);
          else handler(req, res);
        },
      ),
  }) as unknown as FastifyInstance;
  await app.register(gatehouseBff, {
    config,
    logger: log,
    ...(options.store ? { store: options.store } : {}),
    ...(options.renderPage !== undefined ? { renderPage: options.renderPage } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  await app.ready();
  const runtime = app.gatehouseBff as GatehouseRuntime;
  proxy = runtime.proxy;
  return {
    app,
    runtime,
    async listen() {
      const address = await app.listen({ port: config.port, host: config.host });
      log.info({ event: 'listening', address, pid: process.pid }, 'Gatehouse BFF listening');
      let metricsServer: Server | undefined;
      if (cluster.isWorker) {
        // The primary serves the metrics of every worker (prom-client's cluster aggregation).
        AggregatorRegistry.setRegistries([runtime.metrics.registry]);
      } else if (config.metricsPort !== undefined) {
        metricsServer = await serveMetrics({
          port: config.metricsPort,
          host: config.host,
          registry: runtime.metrics.registry,
        });
        log.info({ event: 'metrics_listening', port: config.metricsPort }, 'metrics at /metrics');
      }
      return {
        app,
        runtime,
        address,
        close: async () => {
          metricsServer?.close();
          await app.close();
        },
      };
    },
  };
}

/**
 * Starts the BFF with `config.workers` processes sharing the port (node:cluster). More than one worker
 * needs the Redis store, which `resolveConfig` enforces. A worker that dies is replaced.
 *
 * @example
 * await startBff(resolveConfig(optionsFromEnv(process.env)));
 */
export async function startBff(
  config: BffConfig,
  options: Omit<BffServerOptions, 'config'> = {},
): Promise<BffServer | undefined> {
  if (config.workers > 1 && cluster.isPrimary) {
    const log = options.logger ?? createLogger(config.logLevel);
    for (let i = 0; i < config.workers; i++) cluster.fork();
    const metricsServer =
      config.metricsPort !== undefined
        ? await serveMetrics({ port: config.metricsPort, host: config.host, aggregate: true })
        : undefined;
    let stopping = false;
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      log.error(
        { event: 'worker_exit', pid: worker.process.pid, code, signal },
        'worker died; starting another',
      );
      cluster.fork();
    });
    const stop = () => {
      stopping = true;
      metricsServer?.close();
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return undefined;
  }
  const server = await (await createBffServer({ config, ...options })).listen();
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}

export type { Server };
