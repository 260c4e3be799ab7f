import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, it } from 'vitest';
import { lemonLdapMissing } from './lemonldap.js';
import { redisServerMissing } from './redis-servers.js';

/**
 * A real service some tests need. `redis-server`: the redis-server and redis-cli binaries, for tests that
 * start Redis servers or a Redis Cluster of their own (`startRedisServer`, `startRedisCluster`). `netns`: a
 * network namespace can be made (`unshare -n`, or `unshare -rn` without root). `webkit`: gjs, xvfb-run and WebKitGTK 6.0 for the hybrid-app host.
 */
export type Service =
  | 'redis'
  | 'redis-server'
  | 'postgres'
  | 'chromium'
  | 'nginx'
  | 'lemonldap'
  | 'netns'
  | 'webkit';

/** True when CI asked for every service: a missing one fails instead of skipping. */
export const servicesRequired = process.env.GATEHOUSE_REQUIRE_SERVICES === '1';

/** Where the Redis server for tests listens (`REDIS_URL` or the local default). */
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The Postgres server for tests (`DATABASE_URL` or the local default). */
export const postgresUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Path of the system Chromium, from `CHROMIUM_PATH` or the Debian package. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((path): path is string => Boolean(path && existsSync(path)));
}

function tcpOpen(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Path of the nginx binary (`NGINX_PATH` or Debian's), for the deployment example's test. */
export function nginxPath(): string | undefined {
  const candidates = [process.env.NGINX_PATH, '/usr/sbin/nginx', '/usr/bin/nginx'];
  return candidates.find((path): path is string => Boolean(path && existsSync(path)));
}

/** Whether a network namespace can be made here: `unshare -n` (root) or `unshare -rn` (a user namespace). */
function netnsMissing(): string | undefined {
  const works = (args: string[]) => spawnSync('unshare', [...args, 'true'], { stdio: 'ignore' }).status === 0;
  return works(['-n']) || works(['-rn'])
    ? undefined
    : 'no network namespace can be made (util-linux `unshare -n` as root, or `unshare -rn` with user namespaces)';
}

/** Folders where GObject introspection typelibs live on Debian (and `GI_TYPELIB_PATH`). */
function typelibDirs(): string[] {
  return [
    ...(process.env.GI_TYPELIB_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu/girepository-1.0',
    '/usr/lib/aarch64-linux-gnu/girepository-1.0',
    '/usr/lib/girepository-1.0',
  ];
}

/**
 * Why the WebKitGTK host (`gjs`, `xvfb-run` and WebKitGTK 6.0's typelib) cannot run here, or `undefined`
 * when it can: the hybrid-app tests drive a real WebView under a virtual X server.
 */
export function webkitMissing(): string | undefined {
  const onPath = (name: string) =>
    (process.env.PATH ?? '/usr/bin').split(':').some((dir) => existsSync(`${dir}/${name}`));
  const missing = [
    onPath('gjs') ? undefined : 'gjs',
    onPath('xvfb-run') ? undefined : 'xvfb-run (xvfb, xauth)',
    typelibDirs().some((dir) => existsSync(`${dir}/WebKit-6.0.typelib`)) ? undefined : 'WebKit-6.0.typelib',
  ].filter(Boolean);
  return missing.length === 0
    ? undefined
    : `the WebKitGTK host cannot run: ${missing.join(', ')} missing (apt-get install -y xvfb xauth gir1.2-webkit-6.0 gjs)`;
}

/** Says why a service cannot be used, or `undefined` when it can. */
export async function serviceMissing(service: Service): Promise<string | undefined> {
  switch (service) {
    case 'redis':
      return (await tcpOpen(redisUrl, 6379)) ? undefined : `Redis is not reachable at ${redisUrl}`;
    case 'redis-server':
      return redisServerMissing();
    case 'postgres':
      return (await tcpOpen(postgresUrl, 5432)) ? undefined : `Postgres is not reachable at ${postgresUrl}`;
    case 'chromium':
      return chromiumPath()
        ? undefined
        : 'Chromium is not installed (apt-get install -y chromium, or set CHROMIUM_PATH)';
    case 'nginx':
      return nginxPath()
        ? undefined
        : 'nginx is not installed (apt-get install -y nginx-light, or set NGINX_PATH)';
    case 'lemonldap':
      return lemonLdapMissing();
    case 'netns':
      return netnsMissing();
    case 'webkit':
      return webkitMissing();
  }
}

/**
 * `describe` for a suite that needs real services. When one is missing the suite is skipped with a visible
 * reason, or, under `GATEHOUSE_REQUIRE_SERVICES=1`, replaced by one failing test that names it.
 *
 * @example
 * await describeWith(['redis'], 'RedisSessionStore', () => { it('…', async () => {}); });
 */
export async function describeWith(services: Service[], name: string, body: () => void): Promise<void> {
  const missing = (await Promise.all(services.map(serviceMissing))).filter(Boolean);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const reason = missing.join('; ');
  if (servicesRequired) {
    describe(name, () => {
      it('has the services it needs', () => {
        throw new Error(`${reason} (GATEHOUSE_REQUIRE_SERVICES=1)`);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${reason}`);
  describe.skip(`${name} (skipped: ${reason})`, body);
}
