/// <reference types="node" />
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { anonymousIdentity, type IdentityContext } from '@gatehouse/policy';
import { type AuthState, type RemoteManifest, validateManifest } from '@gatehouse/shell';
import { freePort } from '@gatehouse/testing';

export const sha384 = (bytes: string | Uint8Array) =>
  `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

/** A static origin that records every request; `tampered` paths are answered with one byte changed. */
export class Origin {
  readonly files = new Map<string, string>();
  readonly requests: string[] = [];
  readonly tampered = new Set<string>();
  origin = '';
  #server?: Server;

  async listen(): Promise<this> {
    const port = await freePort();
    this.origin = `http://127.0.0.1:${port}`;
    this.#server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', this.origin).pathname;
      this.requests.push(path);
      const file = this.files.get(path);
      res.setHeader('access-control-allow-origin', '*');
      if (file === undefined) return void res.writeHead(404).end();
      const bytes = Buffer.from(file);
      if (this.tampered.has(path)) bytes[bytes.length - 2]! ^= 0x20;
      const type = path.endsWith('.json') ? 'application/json' : 'text/javascript';
      res.writeHead(200, { 'content-type': type }).end(bytes);
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    return this;
  }

  close(): Promise<void> {
    this.#server?.closeAllConnections();
    return new Promise((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}

/** A validated manifest for a federated remote served by `origin`. */
export function manifestFor(
  origin: Origin,
  name: string,
  entry: string,
  extra: Partial<RemoteManifest> = {},
): RemoteManifest {
  const modules: Record<string, string> = {};
  for (const [path, text] of origin.files)
    if (path !== entry && path.startsWith(`/${name}/`)) modules[origin.origin + path] = sha384(text);
  return validateManifest(
    {
      name,
      version: '1.0.0',
      entry: origin.origin + entry,
      integrity: sha384(origin.files.get(entry)!),
      modules,
      ...extra,
    },
    { allowedOrigins: [origin.origin] },
  );
}

const alice: IdentityContext = {
  isAuthenticated: true,
  user: {
    id: 'user_alice',
    displayName: 'Alice',
    roles: ['customer'],
    permissions: ['wishlist:view'],
    tenants: [],
  },
  session: { expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
} as unknown as IdentityContext;

/** Auth states a test switches between. */
export const states = {
  anonymous: { status: 'anonymous', identity: anonymousIdentity } as AuthState,
  alice: { status: 'authenticated', identity: alice } as AuthState,
};
