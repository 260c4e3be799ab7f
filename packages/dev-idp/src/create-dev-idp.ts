import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { debuglog } from 'node:util';
import { ssfConfigurationPath } from '@gatehouse/policy';
import type { AdapterFactory, Provider } from 'oidc-provider';
import { DevIdpError } from './errors.js';
import { providerConfiguration } from './lib/configuration.js';
import { endSessionByPost } from './lib/end-session-post.js';
import { createInteractionHandler } from './lib/interactions.js';
import { generateCookieKeys, generateSigningKeys, type SigningJwk } from './lib/keys.js';
import { loadOidcProvider } from './lib/load-provider.js';
import { createMemoryAdapter } from './lib/memory-adapter.js';
import { IssuedTokenGrants, registerTokenExchange } from './lib/token-exchange.js';
import { createTransmitter, type DevIdpTransmitter, ssfConfiguration } from './lib/transmitter.js';
import { type DevIdpOptions, type ResolvedDevIdpOptions, resolveOptions } from './options.js';
import { type DevIdpTenant, type DevIdpUser, freezeUser } from './users.js';

/** A running dev IdP. */
export interface DevIdp {
  /** The issuer identifier, e.g. `http://localhost:4001`; discovery is at `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** Where the server socket listens, e.g. `http://127.0.0.1:4001` (the issuer may name another host). */
  readonly url: string;
  /** The real listening port (useful with `port: 0`). */
  readonly port: number;
  /**
   * The oidc-provider instance, for event listeners in tests (`provider.on('backchannel.success', …)`). A key
   * rotation replaces it: listen again after {@link DevIdp.rotateSigningKeys}.
   */
  readonly provider: Provider;
  /**
   * Rotates the signing keys as an operator would, while sessions, grants and tokens live on: new keys sign
   * from now on, the previous ones stay published so tokens signed before still verify. Answers the new
   * signing key's `kid`.
   */
  rotateSigningKeys(): Promise<string>;
  /**
   * Changes a user's `roles` and/or `tenants` at runtime, as an administrator would at a real issuer: tokens
   * issued from now on (a refresh included) carry the new claims; tokens issued before keep theirs. For tests
   * of what a relying party does when roles change (`GH_DEV_IDP_UNKNOWN_USER` for an unknown login or `sub`).
   * Answers the user as they are now.
   */
  updateUser(
    loginOrSub: string,
    change: { readonly roles?: readonly string[]; readonly tenants?: readonly DevIdpTenant[] },
  ): DevIdpUser;
  /**
   * The dev IdP as an OpenID Shared Signals transmitter: signs CAEP/RISC events as SETs with its current key
   * and pushes them to a receiver (the BFF's `POST /auth/ssf/events`). Its configuration is served at
   * `/.well-known/ssf-configuration`.
   */
  readonly transmitter: DevIdpTransmitter;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const log = debuglog('gatehouse-dev-idp');

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * What outlives a key rotation: the store of sessions, grants and tokens, the cookie keys, the pairwise salt,
 * the grants of live JWT access tokens.
 */
interface DevIdpState {
  readonly adapter: AdapterFactory;
  readonly cookieKeys: string[];
  readonly pairwiseSalt: string;
  readonly issuedGrants: IssuedTokenGrants;
  /** The users by `sub`, as they are now. */
  readonly users: Map<string, DevIdpUser>;
}

/** Quiet by default; NODE_DEBUG=gatehouse-dev-idp shows what went wrong. */
const logError = (error: unknown) =>
  log('%s', error instanceof Error ? (error.stack ?? error.message) : error);

/**
 * The HTTP server, listening before the provider exists (the issuer names its port): it answers 503 until
 * `serve` gives it the provider's handler, which a key rotation replaces.
 */
async function startServer(config: ResolvedDevIdpOptions) {
  let handler: Handler | undefined;
  const server = createServer((req, res) => {
    if (handler) handler(req, res);
    else {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('starting');
    }
  });
  try {
    await listen(server, config.port, config.host);
  } catch (cause) {
    throw new DevIdpError(
      'GH_DEV_IDP_LISTEN_FAILED',
      `the dev identity provider cannot listen on ${config.host}:${config.port}`,
      { cause },
    );
  }
  const serve = (next: Handler) => {
    handler = next;
  };
  return { server, port: (server.address() as AddressInfo).port, serve };
}

/** An oidc-provider over the state that outlives it, signing with these keys, its errors logged. */
async function buildProvider(
  oidc: Awaited<ReturnType<typeof loadOidcProvider>>,
  issuer: string,
  config: ResolvedDevIdpOptions,
  signingKeys: { keys: SigningJwk[] },
  state: DevIdpState,
): Promise<Provider> {
  const { errors, interactionPolicy } = oidc;
  const provider = new oidc.Provider(
    issuer,
    providerConfiguration(config, signingKeys, state, { errors, interactionPolicy }),
  );
  // Before the clients load: a client may register the token-exchange grant.
  await registerTokenExchange(provider, {
    options: config,
    keys: signingKeys.keys,
    users: state.users,
    pairwiseSalt: state.pairwiseSalt,
    issued: state.issuedGrants,
    errors,
  });
  // Client metadata is validated lazily by oidc-provider; load each one now so a bad client fails the start.
  for (const client of config.clients) {
    if (!(await provider.Client.find(client.client_id)))
      throw new Error(`client ${client.client_id} not loaded`);
  }
  // Behind a TLS-terminating proxy the issuer is https while requests arrive over http.
  provider.proxy = issuer.startsWith('https:');
  // Koa's own 'error' event (an error that escaped oidc-provider's handler): logged the same way.
  (provider as unknown as EventEmitter).on('error', logError);
  provider.on('server_error', (_ctx, error) => logError(error));
  provider.on('backchannel.error', (_ctx, error, client) =>
    log('back-channel logout to %s failed: %s', client.clientId, error.message),
  );
  return provider;
}

/**
 * The login interaction at `/interaction/…`, the end-session endpoint by POST, the SSF configuration, and
 * oidc-provider for the rest.
 */
function routeRequests(provider: Provider, users: readonly DevIdpUser[], issuer: string): Handler {
  const callback = provider.callback();
  const interactions = createInteractionHandler(provider, users, logError);
  const ssf = JSON.stringify(ssfConfiguration(issuer));
  return (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    if (pathname === ssfConfigurationPath && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(ssf);
      return;
    }
    if (pathname === '/interaction' || pathname.startsWith('/interaction/')) {
      void interactions(req, res, pathname);
      return;
    }
    void endSessionByPost(req, res, pathname, (get, out) => void callback(get, out)).then((taken) => {
      if (!taken) void callback(req, res);
    });
  };
}

/** {@link DevIdp.updateUser} over the users by `sub`. */
function updateUser(
  users: Map<string, DevIdpUser>,
  loginOrSub: string,
  change: Parameters<DevIdp['updateUser']>[1],
): DevIdpUser {
  const current = [...users.values()].find((user) => user.login === loginOrSub || user.sub === loginOrSub);
  if (!current) throw new DevIdpError('GH_DEV_IDP_UNKNOWN_USER', `no user ${loginOrSub.slice(0, 64)}`);
  const next = freezeUser({
    ...current,
    ...(change.roles ? { roles: change.roles } : {}),
    ...(change.tenants ? { tenants: change.tenants } : {}),
  });
  users.set(current.sub, next);
  return next;
}

/**
 * Starts a real OpenID Connect provider (oidc-provider 9) for development and tests: the demo users of
 * docs/http-contract.md#demo-users, a login page at `/interaction/:uid`, PKCE S256 required, exact redirect URIs, JWT access tokens
 * (`typ: at+jwt`) for the `urn:gatehouse:shop` audience on the code and refresh grants, rotating refresh tokens
 * with reuse detection, RP-initiated and back-channel logout, revocation and introspection. Keys and state are
 * in memory and new at every start. Refuses to start under `NODE_ENV=production`.
 *
 * @example
 * const idp = await createDevIdp({ port: 0, clients: [bffClient({ baseUrl: 'http://localhost:5123' })] });
 * console.log(idp.issuer); // http://localhost:<port>
 * await idp.close();
 */
export async function createDevIdp(options?: DevIdpOptions): Promise<DevIdp> {
  if (process.env.NODE_ENV === 'production') {
    throw new DevIdpError(
      'GH_DEV_IDP_PRODUCTION',
      'the Gatehouse dev identity provider is for development and tests only and refuses to run with NODE_ENV=production',
    );
  }
  const config = resolveOptions(options);
  // The start-up in the order oidc-provider needs it: keys, server (the issuer names its port), provider, routes.
  const [oidc, keys] = await Promise.all([loadOidcProvider(), generateSigningKeys()]);
  const { server, port, serve } = await startServer(config);
  const issuer = config.issuer ?? `http://localhost:${port}`;
  const state: DevIdpState = {
    adapter: createMemoryAdapter(15),
    cookieKeys: generateCookieKeys(),
    pairwiseSalt: randomBytes(16).toString('base64url'),
    issuedGrants: new IssuedTokenGrants(),
    users: new Map(config.users.map((user) => [user.sub, user])),
  };
  let provider: Provider;
  const build = async (signingKeys: { keys: SigningJwk[] }): Promise<void> => {
    const next = await buildProvider(oidc, issuer, config, signingKeys, state);
    const handler = routeRequests(next, config.users, issuer);
    provider = next;
    serve(handler);
  };
  try {
    await build(keys);
  } catch (cause) {
    await closeServer(server);
    throw new DevIdpError(
      'GH_DEV_IDP_PROVIDER_FAILED',
      `oidc-provider refused the configuration: ${(cause as Error).message}`,
      { cause },
    );
  }
  let published = keys;

  return Object.freeze({
    issuer,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    port,
    get provider() {
      return provider;
    },
    async rotateSigningKeys() {
      const fresh = await generateSigningKeys();
      // The first key of an algorithm signs; the earlier keys stay published for what they signed.
      published = { keys: [...fresh.keys, ...published.keys] };
      await build(published);
      const signing = fresh.keys.find((key) => key.alg === config.signingAlg);
      return signing?.kid ?? '';
    },
    // The first key of the configured algorithm signs, as for ID tokens; a rotation is followed.
    transmitter: createTransmitter(
      issuer,
      () => published.keys.find((key) => key.alg === config.signingAlg) ?? (published.keys[0] as SigningJwk),
    ),
    updateUser: (loginOrSub: string, change: Parameters<DevIdp['updateUser']>[1]) =>
      updateUser(state.users, loginOrSub, change),
    close: () => closeServer(server),
  });
}
