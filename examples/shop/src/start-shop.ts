import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  type BffOptions,
  type BffServer,
  createBffServer,
  createLogger,
  readSignedManifest,
  resolveConfig,
} from '@gatehouse/bff';
import {
  bffClient,
  createDevIdp,
  type DevIdp,
  type DevIdpTtl,
  type DevIdpUser,
  demoUsers,
} from '@gatehouse/dev-idp';
import type { Database } from './db/database.js';
import { openShopDatabase } from './db/open-shop-database.js';
import { shopRoleMaps } from './shop-roles.js';
import { shopTenantTokens } from './shop-tenancy.js';
import { defaultShopPorts, type ShopPorts, shopUpstreams } from './shop-upstreams.js';
import { type ShopApis, startShopApis } from './start-shop-apis.js';
import { shopSigningKey } from './web/build/signing.js';
import { type RemotesOrigin, startRemotesOrigin } from './web/remotes-origin.js';
import { loadShopWeb, type ShopWeb, shopWebRoot } from './web/shop-page.js';

/** Every port of the shop; `0` picks a free one. */
export interface ShopStartPorts extends ShopPorts {
  readonly bff: number;
  readonly idp: number;
  readonly remotes: number;
}

/** The ports of `npm start` (docs/http-contract.md#origins). */
export const defaultStartPorts: ShopStartPorts = Object.freeze({
  bff: 4000,
  idp: 4001,
  remotes: 4002,
  ...defaultShopPorts,
});

/** Options of {@link startShop}. */
export interface StartShopOptions {
  /** Ports (any subset; `0` picks a free one); default {@link defaultStartPorts}. */
  readonly ports?: Partial<ShopStartPorts>;
  /** PGlite's folder; default `<repo>/.data/shop` (or `DATABASE_URL`'s server). */
  readonly dataDir?: string;
  /** A throw-away PGlite in memory (tests). */
  readonly memory?: boolean;
  /** A Postgres server instead of PGlite. */
  readonly databaseUrl?: string;
  /** An already open database (left open by `close()`). */
  readonly db?: Database;
  /** Token and IdP-session lifetimes in seconds (short ones for expiry tests). */
  readonly ttl?: DevIdpTtl;
  /** The BFF's idle and absolute session timeouts in seconds (defaults 1800 and 28800). */
  readonly idleTimeout?: number;
  readonly absoluteTimeout?: number;
  /** Users of the dev IdP besides the seven demo users. */
  readonly extraUsers?: readonly DevIdpUser[];
  /** More BFF options (`redisUrl`, `logLevel`, …), applied last. */
  readonly bff?: Partial<BffOptions>;
  /** The BFF's log level; default `warn`. */
  readonly logLevel?: BffOptions['logLevel'];
  /**
   * The web folder to serve (a copy of `examples/shop/web` with its `dist` folders, e.g. for a test that
   * tampers with files); default the build's own.
   */
  readonly webRoot?: string;
  /**
   * The Ed25519 public key (PEM, or the path of a PEM file) the manifest's signature must verify with;
   * default the build's key, `.data/shop-keys/manifest.pub.pem`.
   */
  readonly manifestKey?: string;
  /**
   * Serve each public remote from its own origin, `http://<name>.localhost:<remotes port>` (loopback in
   * Chromium): the page's CSP lists each origin exactly, each answers CORS for the shell's origin only and
   * serves its own remote only, and the shell refuses a module on another remote's origin.
   */
  readonly originPerRemote?: boolean;
  /**
   * The local origins of hybrid apps that show the shop's shell in a WebView (`http://127.0.0.1:<port>` of
   * the WebKitGTK host, docs/hybrid-apps.md): the remotes origin answers CORS for them too, or the page
   * there could load no remote.
   */
  readonly appOrigins?: readonly string[];
}

/** A running shop. */
export interface RunningShop {
  readonly urls: {
    /** The shop (the BFF): `http://localhost:4000`. */
    readonly shop: string;
    readonly idp: string;
    readonly remotes: string;
    readonly apis: Readonly<Record<keyof ShopPorts, string>>;
  };
  readonly ports: ShopStartPorts;
  readonly db: Database;
  readonly idp: DevIdp;
  readonly apis: ShopApis;
  readonly bff: BffServer;
  readonly web: ShopWeb;
  /** The remotes origin (the public remotes' code). */
  readonly remotesOrigin: RemotesOrigin;
  /** Stops everything (BFF, remotes origin, APIs, IdP) and closes the database it opened (PGlite flushes). */
  close(): Promise<void>;
}

/** A port for a server that starts later, and how to let it go just before that server listens. */
interface ReservedPort {
  readonly port: number;
  release(): Promise<void>;
}

/**
 * `wanted`, or (0) a free port held by a listening socket until `release()`: the IdP, the APIs and any other
 * process binding port 0 meanwhile cannot be given it (a port merely seen free once was, under a busy suite).
 */
function reservePort(wanted: number): Promise<ReservedPort> {
  if (wanted) return Promise.resolve({ port: wanted, release: async () => {} });
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      let released: Promise<void> | undefined;
      const release = () => (released ??= new Promise<void>((done) => server.close(() => done())));
      resolve({ port, release });
    });
  });
}

/**
 * The whole reference shop in one call: the shop database (PGlite under `.data/shop` by default), the dev
 * identity provider, the six domain APIs, the remotes origin and the BFF serving the React shell, its
 * gated remotes and the API proxy. Needs the web build (`npm start` makes it, or `buildWeb()`), signed: the BFF checks the
 * manifest's Ed25519 signature at start and whenever the file changes, and every page is built from the
 * manifest it verified (none verifies: no remote loads). Scripts run under an enforced Integrity-Policy.
 *
 * @example
 * const shop = await startShop({ ports: { bff: 0, idp: 0, remotes: 0, catalog: 0, cart: 0,
 *   checkout: 0, orders: 0, profile: 0, org: 0 }, memory: true });
 * await page.goto(shop.urls.shop);
 * await shop.close();
 */
export async function startShop(options: StartShopOptions = {}): Promise<RunningShop> {
  const wanted = { ...defaultStartPorts, ...options.ports };
  const bffReserved = await reservePort(wanted.bff);
  const remotesReserved = await reservePort(wanted.remotes);
  const bffPort = bffReserved.port;
  const remotesPort = remotesReserved.port;
  // Released before their servers listen, or (closing on a failure) by `close`.
  const stops: (() => Promise<void>)[] = [bffReserved.release, remotesReserved.release];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((error) => console.error(error));
  };
  const shopUrl = `http://localhost:${bffPort}`;
  const remotesUrl = `http://localhost:${remotesPort}`;
  // Fail before anything starts when the web build is missing or its manifest does not verify.
  const root = options.webRoot ?? shopWebRoot;
  const manifest = {
    file: join(root, 'dist/shop-manifest.json'),
    publicKey: options.manifestKey ?? shopSigningKey().publicKey,
  };
  let verified: unknown;
  try {
    verified = readSignedManifest(manifest);
  } catch (error) {
    await close();
    throw new Error(
      `${(error as Error).message} (npm start builds and signs it; in code, await buildWeb() first)`,
      {
        cause: error,
      },
    );
  }
  try {
    const originPerRemote = options.originPerRemote ?? false;
    const web = loadShopWeb({
      bffUrl: shopUrl,
      remotesUrl,
      root,
      manifest: verified,
      verified: true,
      originPerRemote,
    });
    const db =
      options.db ??
      (await openShopDatabase({
        ...(options.databaseUrl ? { url: options.databaseUrl } : {}),
        ...(options.dataDir ? { dataDir: options.dataDir } : {}),
        ...(options.memory ? { memory: true } : {}),
      }));
    if (!options.db) stops.push(() => db.close());
    const idp = await createDevIdp({
      port: wanted.idp,
      clients: [bffClient({ baseUrl: shopUrl })],
      users: [...demoUsers, ...(options.extraUsers ?? [])],
      ...(options.ttl ? { ttl: options.ttl } : {}),
    });
    stops.push(() => idp.close());
    const apis = await startShopApis({
      db,
      issuer: idp.issuer,
      ports: {
        catalog: wanted.catalog,
        cart: wanted.cart,
        checkout: wanted.checkout,
        orders: wanted.orders,
        profile: wanted.profile,
        org: wanted.org,
      },
    });
    stops.push(() => apis.close());
    await remotesReserved.release();
    const remotes: RemotesOrigin = await startRemotesOrigin({
      remotes: web.publicRemotes,
      allowOrigin: shopUrl,
      ...(options.appOrigins ? { appOrigins: options.appOrigins } : {}),
      port: remotesPort,
      originPerRemote,
    });
    stops.push(() => remotes.close());
    const logLevel = options.logLevel ?? 'warn';
    const config = resolveConfig({
      publicUrl: shopUrl,
      port: bffPort,
      issuer: idp.issuer,
      ...shopRoleMaps,
      // Each token is asked for the tenant the user works in, so the APIs agree with a switch (shop-tenancy.ts).
      tenantTokenParameter: shopTenantTokens.parameter,
      sessionSecrets: [randomBytes(32).toString('base64url')],
      upstreams: shopUpstreams(apis.ports),
      routes: web.navigation,
      assets: web.assets,
      // For CSP2 browsers only: under 'strict-dynamic' the runtime's allow-list and integrity decide.
      // With an origin per remote, each of them, exactly.
      remoteOrigins: originPerRemote ? web.remoteOrigins : [new URL(remotes.url).origin],
      logLevel,
      // The page is built from this manifest, verified at start and again on every change (fail closed).
      manifest: { ...manifest, watch: true },
      // Every script the page runs carries integrity (the shell's by the page, the remotes' by the import
      // map the runtime writes): one without is blocked.
      integrityPolicy: 'enforce',
      ...(options.idleTimeout ? { idleTimeout: options.idleTimeout } : {}),
      ...(options.absoluteTimeout ? { absoluteTimeout: options.absoluteTimeout } : {}),
      ...options.bff,
    } as BffOptions);
    const server = await createBffServer({
      config,
      logger: createLogger(config.logLevel),
      renderPage: web.page,
    });
    await bffReserved.release();
    const bff = await server.listen();
    stops.push(() => bff.close());
    return {
      urls: { shop: shopUrl, idp: idp.issuer, remotes: remotes.url, apis: apis.urls },
      ports: { ...apis.ports, bff: bffPort, idp: idp.port, remotes: remotes.port },
      db,
      idp,
      apis,
      bff,
      web,
      remotesOrigin: remotes,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
