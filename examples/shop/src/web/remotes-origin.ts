import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, sep } from 'node:path';

/** Options of {@link startRemotesOrigin}. */
export interface RemotesOriginOptions {
  /** Remote name → its built folder: `/<name>/<file>` is answered from `<folder>/<file>`. */
  readonly remotes: Readonly<Record<string, string>>;
  /** The one origin allowed to load these modules (the shell's page, `http://localhost:4000`): CORS exact. */
  readonly allowOrigin: string;
  /**
   * The local origins of hybrid apps' WebViews that show the same shell (`http://127.0.0.1:<port>` of the
   * WebKitGTK host, docs/hybrid-apps.md): each exact, answered like `allowOrigin`.
   */
  readonly appOrigins?: readonly string[];
  readonly port?: number;
  readonly host?: string;
  /**
   * Serve each remote from its own origin, `http://<name>.localhost:<port>` (loopback in Chromium; in
   * production `https://<name>.cdn.example`): a request answers only when the remote in its path is the one
   * its Host names. Default: every remote on `http://localhost:<port>`.
   */
  readonly originPerRemote?: boolean;
}

/**
 * The origin a remote is served from: `http://<name>.localhost:<port>` with an origin per remote, else the
 * remotes origin itself.
 *
 * @example
 * remoteOriginOf('http://localhost:4002', 'home', true) // 'http://home.localhost:4002'
 */
export function remoteOriginOf(remotesUrl: string, name: string, originPerRemote: boolean): string {
  const url = new URL(remotesUrl);
  if (originPerRemote) url.hostname = `${name}.${url.hostname}`;
  return url.origin;
}

/** A running remotes origin. */
export interface RemotesOrigin {
  /** `http://localhost:<port>` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  json: 'application/json; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
};
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const HASHED = /-[A-Za-z0-9_-]{8,}\.m?js$/;

/**
 * The remotes origin (a stand-in for a CDN): serves the public remotes' builds, GET and HEAD only, with
 * CORS for exactly the shell's origin and any hybrid app's local origin named (module scripts load in CORS
 * mode, and SRI needs it), `nosniff`, and
 * `immutable` caching for the content-hashed modules. Dot-files, traversal, unknown remotes: 404.
 *
 * @example
 * const origin = await startRemotesOrigin({ remotes: { home: '/…/remotes/home/dist' },
 *   allowOrigin: 'http://localhost:4000', port: 4002 });
 */
export async function startRemotesOrigin(options: RemotesOriginOptions): Promise<RemotesOrigin> {
  const allowed = new Set(
    [options.allowOrigin, ...(options.appOrigins ?? [])].map((origin) => new URL(origin).origin),
  );
  const server: Server = createServer((req, res) => {
    const origin = req.headers.origin;
    const base = {
      'x-content-type-options': 'nosniff',
      vary: 'Origin',
      ...(origin && allowed.has(origin) ? { 'access-control-allow-origin': origin } : {}),
    };
    const fail = (status: number, text: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...base, 'content-type': 'text/plain; charset=utf-8', ...extra });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return fail(405, 'Method not allowed', { allow: 'GET, HEAD' });
    const path = (req.url ?? '/').split('?')[0]!;
    const [, name, ...rest] = path.split('/');
    // With an origin per remote, `cart.localhost` serves cart's files and nothing else.
    const ownHost = !options.originPerRemote || (req.headers.host ?? '').split('.')[0] === name;
    const folder =
      name && ownHost && Object.hasOwn(options.remotes, name) ? options.remotes[name] : undefined;
    if (!folder || rest.length === 0 || !rest.every((segment) => SEGMENT.test(segment)))
      return fail(404, 'Not found');
    const file = join(folder, ...rest);
    const type = TYPES[file.split('.').pop() ?? ''];
    let size: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile() || !file.startsWith(folder + sep) || !type) return fail(404, 'Not found');
      size = stat.size;
    } catch {
      return fail(404, 'Not found');
    }
    res.writeHead(200, {
      ...base,
      'content-type': type,
      'content-length': String(size),
      'cache-control': HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache',
      'cross-origin-resource-policy': 'cross-origin',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://localhost:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
