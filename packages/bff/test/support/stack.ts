import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { bffClient, createDevIdp, type DevIdp, type DevIdpTtl } from '@gatehouse/dev-idp';
import {
  demoRoleMaps,
  freePort,
  signIn as signInAt,
  type TestBrowser,
  type TestResponse,
} from '@gatehouse/testing';
import {
  type BffOptions,
  type BffServer,
  createBffServer,
  createLogger,
  resolveConfig,
  type SessionStore,
} from '../../src/index.js';

/** What the echo upstream saw of one request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A real HTTP upstream that answers with what it received (or a status a test asks for via `?status=`, with a
 * `WWW-Authenticate` via `?challenge=`).
 */
export interface EchoUpstream {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** URLs of slow answers whose connection closed before they finished. */
  readonly aborted: string[];
  close(): Promise<void>;
}

export async function startEcho(): Promise<EchoUpstream> {
  const seen: SeenRequest[] = [];
  const aborted: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      const params = new URL(req.url ?? '/', 'http://x').searchParams;
      const status = Number(params.get('status') ?? 200);
      if (params.has('size')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.alloc(Number(params.get('size')), 120));
        return;
      }
      if (params.has('slow')) {
        // Streams a chunk every 50 ms until done or the proxy goes away.
        res.writeHead(200, { 'content-type': 'text/plain' });
        let sent = 0;
        const timer = setInterval(() => {
          res.write('chunk\n');
          if (++sent >= 100) {
            clearInterval(timer);
            res.end();
          }
        }, 50);
        res.on('close', () => {
          clearInterval(timer);
          aborted.push(req.url ?? '');
        });
        return;
      }
      const body = JSON.stringify({
        method: entry.method,
        url: entry.url,
        authorized: Boolean(req.headers.authorization),
      });
      res.writeHead(status, {
        'content-type': 'application/json',
        'set-cookie': 'upstream=1; Path=/',
        'x-upstream': 'echo',
        ...(params.has('vary') ? { vary: params.get('vary') as string } : {}),
        // A challenge the test asks for (`?challenge=Bearer error="insufficient_user_authentication"…`).
        ...(params.has('challenge') ? { 'www-authenticate': params.get('challenge') as string } : {}),
      });
      res.end(body);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    aborted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every log line the BFF wrote, as text and parsed. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) if (line) this.lines.push(line);
    done();
  }
  events(name: string): Array<Record<string, unknown>> {
    return this.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.event === name);
  }
}

export interface Stack {
  readonly idp: DevIdp;
  readonly bff: BffServer;
  readonly bffUrl: string;
  readonly echo: EchoUpstream;
  readonly logs: LogCapture;
  /** Refresh-token grants the IdP answered successfully. */
  refreshGrants(): number;
  /** Starts another BFF instance in front of the same IdP (same port-independent config, given store). */
  close(): Promise<void>;
}

export interface StackOptions {
  readonly ttl?: DevIdpTtl;
  /** BFF options, or a function of the echo upstream's URL returning them. */
  readonly bff?: Partial<BffOptions> | ((echoUrl: string) => Partial<BffOptions>);
  readonly store?: SessionStore;
  /** Start the BFF on this port (several instances share one public URL in multi-instance tests). */
  readonly bffPort?: number;
  readonly idp?: DevIdp;
  /** The dev IdP's `rotateRefreshTokens` (default true). */
  readonly rotateRefreshTokens?: boolean;
}

export const SECRET = 'test-session-secret-of-at-least-32-characters';

/** The dev IdP, an echo upstream and a BFF in front of them, on free ports. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const bffPort = options.bffPort ?? (await freePort());
  const bffUrl = `http://localhost:${bffPort}`;
  const idp =
    options.idp ??
    (await createDevIdp({
      port: 0,
      clients: [bffClient({ baseUrl: bffUrl })],
      ...(options.ttl ? { ttl: options.ttl } : {}),
      ...(options.rotateRefreshTokens !== undefined
        ? { rotateRefreshTokens: options.rotateRefreshTokens }
        : {}),
    }));
  let refreshes = 0;
  idp.provider.on('grant.success', (ctx: { oidc: { params?: { grant_type?: unknown } } }) => {
    if (ctx.oidc.params?.grant_type === 'refresh_token') refreshes++;
  });
  const echo = await startEcho();
  const logs = new LogCapture();
  const config = resolveConfig({
    publicUrl: bffUrl,
    port: bffPort,
    issuer: idp.issuer,
    resource: 'urn:gatehouse:shop',
    ...demoRoleMaps,
    sessionSecrets: [SECRET],
    upstreams: { echo: { url: echo.url }, open: { url: `${echo.url}/open`, access: 'public' } },
    routes: [
      { path: '/checkout', auth: 'required' },
      { path: '/orders/*', auth: 'required' },
      { path: '/orders', auth: 'required' },
    ],
    logLevel: 'debug',
    ...(typeof options.bff === 'function' ? options.bff(echo.url) : options.bff),
  });
  const server = await createBffServer({
    config,
    logger: createLogger('debug', logs),
    ...(options.store ? { store: options.store } : {}),
  });
  const bff = await server.listen();
  return {
    idp,
    bff,
    bffUrl,
    echo,
    logs,
    refreshGrants: () => refreshes,
    async close() {
      await bff.close();
      await echo.close();
      if (!options.idp) await idp.close();
    },
  };
}

/**
 * Signs in through the real flow: `/auth/login`, the IdP's login form (login + password), the callback.
 * Answers the callback's final redirect (the `returnTo` location), without loading it.
 */
export function signIn(
  browser: TestBrowser,
  stack: Pick<Stack, 'bffUrl'>,
  user: string,
  returnTo = '/',
): Promise<URL> {
  return signInAt(browser, stack.bffUrl, user, { returnTo });
}

/**
 * Revokes `refreshToken` at the stack's IdP as the BFF's client (RFC 7009), as an operator or the user's
 * account page would; resolves to the revocation endpoint's status (200).
 */
export async function revokeRefreshToken(stack: Pick<Stack, 'idp'>, refreshToken: string): Promise<number> {
  const response = await fetch(`${stack.idp.issuer}/token/revocation`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('gatehouse-bff:gatehouse-dev-secret').toString('base64')}`,
    },
    body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' }),
  });
  return response.status;
}

/** The page text of a response, for assertions in failures. */
export function describeResponse(response: TestResponse): string {
  return `${response.status} ${response.text.slice(0, 200)}`;
}
