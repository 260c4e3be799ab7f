import type { Logger } from 'pino';
import type { ClientKey } from './client-key.js';
import type { BffConfig } from './config.js';
import { CookieJar } from './cookies.js';
import type { DPoPKey } from './dpop-key.js';
import { MemorySessionEventBus, RedisSessionEventBus, type SessionEventBus } from './events.js';
import { createLogger } from './logger.js';
import { SignedManifest } from './manifest.js';
import { BffMetrics } from './metrics.js';
import { OidcClient } from './oidc.js';
import { ApiProxy, LongLivedConnections } from './proxy/index.js';
import { PushChannel } from './push.js';
import { MemorySessionStore } from './session/memory-store.js';
import type { SessionStore } from './session/types.js';
import { SessionManager } from './sessions.js';
import { createSessionStore, redisTarget } from './store.js';

/** What the BFF runs on: its parts, as the plugin decorates the Fastify instance with them (`gatehouseBff`). */
export interface GatehouseRuntime {
  readonly config: BffConfig;
  readonly store: SessionStore;
  readonly sessions: SessionManager;
  readonly oidc: OidcClient;
  readonly cookies: CookieJar;
  readonly proxy: ApiProxy;
  /** Open WebSockets and event streams through the proxy, by session. */
  readonly longLived: LongLivedConnections;
  readonly events: SessionEventBus;
  readonly push: PushChannel;
  readonly metrics: BffMetrics;
  /** The signed remote manifest, when configured. */
  readonly manifest: SignedManifest | undefined;
  /** The `private_key_jwt` key, when configured (its public half is served at `GET /auth/jwks`). */
  readonly clientKey: ClientKey | undefined;
  /** The deployment's DPoP key, when `dpop` is on. */
  readonly dpopKey: DPoPKey | undefined;
  readonly log: Logger;
}

/** The parts a host may bring; the others are made from the configuration. */
export interface RuntimeOptions {
  readonly config: BffConfig;
  readonly store?: SessionStore;
  readonly logger?: Logger;
  readonly events?: SessionEventBus;
  readonly metrics?: BffMetrics;
  /** The loaded `private_key_jwt` key (`loadClientKey`), when the configuration has one. */
  readonly clientKey?: ClientKey;
  /** The loaded DPoP key (`loadDPoPKey`), when `dpop` is on. */
  readonly dpopKey?: DPoPKey;
}

/** A runtime and how to stop what it made (never what the host brought). */
export interface OwnedRuntime {
  readonly runtime: GatehouseRuntime;
  /** Ends the push streams and long-lived connections, so the server can close (before connections are waited for). */
  stopStreams(): void;
  /** Closes the upstream pools, and the store, event bus and manifest watcher it made. */
  close(): Promise<void>;
}

const isEmpty = (map: object) => Object.keys(map).length === 0;

/**
 * Builds the BFF's parts from `options`: the session store (Redis with `redisUrl`, else memory), the event
 * bus, the OIDC client, cookies, sessions, the proxy, the push channel, metrics and the signed manifest (a
 * manifest that does not verify stops the start: nothing unverified is ever handed to a page). Starts the
 * issuer's discovery without waiting for it.
 */
export function createRuntime(options: RuntimeOptions): OwnedRuntime {
  const { config } = options;
  const log = options.logger ?? createLogger(config.logLevel);
  const store = options.store ?? createSessionStore(config);
  const target = redisTarget(config);
  const events =
    options.events ??
    (target
      ? new RedisSessionEventBus({ target, keyPrefix: config.redisKeyPrefix })
      : new MemorySessionEventBus());
  const manifest = config.manifest ? new SignedManifest(config.manifest, log) : undefined;
  if (manifest && config.manifest?.watch) manifest.watch();
  const clientKey = options.clientKey;
  const dpopKey = options.dpopKey;
  if (config.dpop && !dpopKey) throw new Error('dpop is on: pass the loaded key (loadDPoPKey) as dpopKey');
  if (dpopKey?.generated)
    log.warn(
      { event: 'dpop_key_generated' },
      'dpop is on without dpopKey: signing with a key generated for this process (dev only; sessions do not survive a restart or move between instances)',
    );
  const oidc = new OidcClient(config, {
    ...(clientKey ? { key: clientKey } : {}),
    ...(dpopKey ? { dpop: dpopKey } : {}),
    log,
  });
  const cookies = new CookieJar(config);
  const metrics = options.metrics ?? new BffMetrics();
  const sessions = new SessionManager(config, store, oidc, log, events, metrics);
  const longLived = new LongLivedConnections(sessions, events, log, {
    perSession: config.maxLongLivedPerSession,
    total: config.maxLongLived,
  });
  const proxy = new ApiProxy(config, sessions, cookies, longLived, log, metrics, dpopKey);
  const push = new PushChannel(sessions, events, log, {
    perSession: config.maxPushStreamsPerSession,
    perUser: config.maxPushStreamsPerUser,
    total: config.maxPushStreams,
  });
  metrics.observe({
    pushStreams: () => push.size,
    longLived: () => longLived.counts(),
    sessions: () => (store instanceof MemorySessionStore ? store.stats().sessions : undefined),
  });
  const runtime: GatehouseRuntime = Object.freeze({
    config,
    store,
    sessions,
    oidc,
    cookies,
    proxy,
    longLived,
    events,
    push,
    metrics,
    manifest,
    clientKey,
    dpopKey,
    log,
  });
  announceStart(runtime);
  return {
    runtime,
    stopStreams: () => {
      push.close();
      longLived.close();
    },
    async close() {
      await proxy.close();
      if (!options.store) await store.close();
      if (!options.events) await events.close();
      manifest?.close();
    },
  };
}

/** What an operator should hear at start: a missing role map, an issuer not reachable yet. */
function announceStart({ config, log, oidc }: GatehouseRuntime): void {
  // A library grants nothing by default; a deployment that forgot its role map should hear so at once.
  if (!config.production && isEmpty(config.roles) && isEmpty(config.tenantRoles)) {
    log.warn(
      { event: 'no_role_map' },
      'no role map configured (roles, tenantRoles): signed-in users get no permissions',
    );
  }
  // Discover the issuer early, without failing start-up when it is down (logins then show a clear error).
  oidc.configuration().catch((error: unknown) => {
    log.warn(
      { event: 'issuer_unavailable', issuer: config.issuer, err: error },
      'identity provider not reachable yet',
    );
  });
}
