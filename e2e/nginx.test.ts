import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BffServer, createBffServer, createLogger, optionsFromEnv, resolveConfig } from '@gatehouse/bff';
import { bffClient, createDevIdp, type DevIdp } from '@gatehouse/dev-idp';
import {
  API_HEADERS,
  describeWith,
  freePort,
  nginxPath,
  readForm,
  redisUrl,
  TestBrowser,
} from '@gatehouse/testing';
import { Redis } from 'ioredis';
import { Agent, type Dispatcher, getGlobalDispatcher, request, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { selfSignedCertificate } from './support/https.js';

/** The deployment guide's example, run as written: only ports, addresses, names and paths are substituted. */
const EXAMPLE = fileURLToPath(new URL('../docs/examples/nginx.conf', import.meta.url));

/** An upstream API per BFF instance: which one a request reached tells which instance proxied it. */
interface Echo {
  readonly url: string;
  readonly seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function startEcho(): Promise<Echo> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Replaces `from` (which must occur in the example, so the test follows the file) with `to`. */
function substitute(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`docs/examples/nginx.conf no longer contains "${from}"`);
  return text.replaceAll(from, to);
}

const tcpOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** A Server-Sent Events stream: the `data:` JSON of each `auth` event, with the time it arrived. */
interface EventStream {
  readonly status: number;
  readonly events: Array<{ data: Record<string, unknown>; at: number }>;
  /** Everything received so far (comments and `retry:` included). */
  readonly raw: () => string;
  next(timeoutMs: number): Promise<{ data: Record<string, unknown>; at: number }>;
  close(): void;
}

async function openStream(url: string, headers: Record<string, string>): Promise<EventStream> {
  const controller = new AbortController();
  const answer = await request(url, {
    headers: { ...headers, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const events: EventStream['events'] = [];
  const waiters: Array<() => void> = [];
  let raw = '';
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of answer.body) {
        raw += chunk.toString();
        buffer += chunk.toString();
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const data = buffer
            .slice(0, end)
            .split('\n')
            .find((line) => line.startsWith('data: '));
          buffer = buffer.slice(end + 2);
          if (data) {
            events.push({ data: JSON.parse(data.slice(6)) as Record<string, unknown>, at: Date.now() });
            for (const wake of waiters.splice(0)) wake();
          }
        }
      }
    } catch {
      // closed by the test
    }
  })();
  let read = 0;
  return {
    status: answer.statusCode,
    events,
    raw: () => raw,
    next: (timeoutMs) =>
      new Promise((resolve, reject) => {
        const take = () => {
          const event = events[read];
          if (!event) return false;
          read++;
          resolve(event);
          return true;
        };
        if (take()) return;
        const timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          take();
        });
      }),
    close: () => controller.abort(),
  };
}

/**
 * The deployment guide's nginx example (docs/examples/nginx.conf) in front of two BFF instances on one Redis,
 * with TLS: sign in through nginx, API calls land on both instances, logout through nginx ends the session on
 * both, and push streams held by either instance hear it at once.
 */
await describeWith(['nginx', 'redis'], 'deployment example: nginx in front of two BFF instances', () => {
  const prefix = `gh-nginx-${randomBytes(4).toString('hex')}:`;
  const stops: Array<() => Promise<unknown> | unknown> = [];
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-'));
  let nginx: ChildProcess | undefined;
  let nginxLog = '';
  let publicUrl: string;
  let httpPort: number;
  let idp: DevIdp;
  const instances: Array<{ bff: BffServer; echo: Echo; port: number }> = [];
  let previousDispatcher: Dispatcher;

  beforeAll(async () => {
    // A self-signed certificate for localhost, trusted by this test's HTTP client only; nginx reads the files.
    const certificate = selfSignedCertificate(['localhost']);
    writeFileSync(join(dir, 'tls.key'), certificate.key);
    writeFileSync(join(dir, 'tls.crt'), certificate.cert);
    previousDispatcher = getGlobalDispatcher();
    setGlobalDispatcher(new Agent({ connect: { ca: certificate.cert } }));

    const [tlsPort, plainPort, portA, portB] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    httpPort = plainPort;
    publicUrl = `https://localhost:${tlsPort}`;
    idp = await createDevIdp({ port: 0, clients: [bffClient({ baseUrl: publicUrl })] });
    stops.push(() => idp.close());

    // Both instances as the guide configures them: the same public URL, session secret and Redis, from the
    // environment; only the port differs.
    const env = {
      GATEHOUSE_PUBLIC_URL: publicUrl,
      GATEHOUSE_ISSUER: idp.issuer,
      GATEHOUSE_RESOURCE: 'urn:gatehouse:shop',
      GATEHOUSE_SESSION_SECRET: randomBytes(32).toString('base64url'),
      GATEHOUSE_TRUST_PROXY: '1',
      GATEHOUSE_HOST: '127.0.0.1',
      GATEHOUSE_REDIS_KEY_PREFIX: prefix,
      GATEHOUSE_LOG_LEVEL: 'silent',
      REDIS_URL: redisUrl,
    };
    for (const port of [portA, portB]) {
      const echo = await startEcho();
      stops.push(() => echo.close());
      const config = resolveConfig(
        optionsFromEnv({ ...env, GATEHOUSE_PORT: String(port) }, { upstreams: { echo: { url: echo.url } } }),
      );
      const bff = await (await createBffServer({ config, logger: createLogger('silent') })).listen();
      stops.push(() => bff.close());
      instances.push({ bff, echo, port });
    }

    let conf = readFileSync(EXAMPLE, 'utf8');
    conf = substitute(conf, 'server 10.0.0.11:4000', `server 127.0.0.1:${portA}`);
    conf = substitute(conf, 'server 10.0.0.12:4000', `server 127.0.0.1:${portB}`);
    conf = substitute(conf, 'listen 80;', `listen 127.0.0.1:${plainPort};`);
    conf = substitute(conf, 'listen 443 ssl http2;', `listen 127.0.0.1:${tlsPort} ssl http2;`);
    conf = substitute(conf, 'server_name shop.example.com;', 'server_name localhost;');
    conf = substitute(conf, '/etc/nginx/tls/shop.example.com.crt', join(dir, 'tls.crt'));
    conf = substitute(conf, '/etc/nginx/tls/shop.example.com.key', join(dir, 'tls.key'));
    conf = substitute(conf, '/var/log/nginx/error.log', join(dir, 'error.log'));
    conf = substitute(conf, '/var/log/nginx/access.log', join(dir, 'access.log'));
    // Temporary files under the test's folder, so nginx needs no root-owned paths.
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => {
      mkdirSync(join(dir, kind));
      return `  ${kind}_temp_path ${join(dir, kind)};`;
    });
    conf = substitute(conf, '\nhttp {\n', `\nhttp {\n${temp.join('\n')}\n`);
    writeFileSync(join(dir, 'nginx.conf'), conf);

    nginx = spawn(
      nginxPath()!,
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    nginx.stdout?.on('data', (chunk) => {
      nginxLog += chunk;
    });
    nginx.stderr?.on('data', (chunk) => {
      nginxLog += chunk;
    });
    const exited = new Promise((resolve) => nginx?.once('exit', resolve));
    stops.push(async () => {
      if (nginx?.exitCode === null) {
        nginx.kill('SIGQUIT');
        const killer = setTimeout(() => nginx?.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(killer);
      }
    });
    for (let waited = 0; !(await tcpOpen(tlsPort)); waited += 50) {
      if (nginx.exitCode !== null || waited > 5000) throw new Error(`nginx did not start:\n${nginxLog}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    if (previousDispatcher) setGlobalDispatcher(previousDispatcher);
    const redis = new Redis(redisUrl);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  const signIn = async (browser: TestBrowser, user: string) => {
    const back = (location: URL) => location.origin === publicUrl && !location.pathname.startsWith('/auth/');
    const start = await browser.follow(`${publicUrl}/auth/login?returnTo=%2Forders`, {}, back);
    expect(start.response.status).toBe(200);
    const form = readForm(start.response.text, start.response.url);
    const done = await browser.follow(
      form.action,
      { form: { ...form.fields, login: user, password: user }, headers: { 'sec-fetch-site': 'same-origin' } },
      back,
    );
    expect(done.stoppedAt?.href).toBe(`${publicUrl}/orders`);
  };

  it('answers plain HTTP with a redirect to https', async () => {
    const plain = await request(`http://127.0.0.1:${httpPort}/orders?tab=open`, {
      headers: { host: 'localhost' },
    });
    await plain.body.dump();
    expect(plain.statusCode).toBe(301);
    expect(plain.headers.location).toBe('https://localhost/orders?tab=open');
  });

  const browser = new TestBrowser();
  /** A client with an empty jar: only the session cookie goes (the IdP's cookies for localhost would too). */
  const bare = new TestBrowser();
  let cookie = '';
  const direct = (port: number) =>
    bare.get(`http://localhost:${port}/api/echo/item`, { ...API_HEADERS, cookie });

  it('signs in through nginx; API calls reach both instances with the token and the address nginx saw', async () => {
    await signIn(browser, 'alice');
    const session = (await browser.jar.getCookies(publicUrl)).find(
      (entry) => entry.key === '__Host-Http-gatehouse',
    );
    expect(session).toMatchObject({ secure: true, httpOnly: true, path: '/' });
    cookie = `__Host-Http-gatehouse=${session?.value}`;
    const identity = await browser.get(`${publicUrl}/auth/session`, API_HEADERS);
    expect(identity.json()).toMatchObject({ isAuthenticated: true, user: { id: 'user_alice' } });
    // The session made through one instance works on each, asked directly.
    for (const instance of instances) expect((await direct(instance.port)).status).toBe(200);

    // Round robin, no stickiness: both instances serve the same session. A forged X-Forwarded-For does not
    // pass: with GATEHOUSE_TRUST_PROXY=1 the BFF takes the address nginx appended.
    for (const instance of instances) instance.echo.seen.length = 0;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        browser.get(`${publicUrl}/api/echo/item`, { ...API_HEADERS, 'x-forwarded-for': '203.0.113.9' }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    for (const instance of instances) expect(instance.echo.seen.length).toBeGreaterThan(0);
    for (const seen of instances.flatMap((instance) => instance.echo.seen)) {
      expect(seen.authorization).toMatch(/^Bearer eyJ/);
      expect(seen.cookie).toBeUndefined();
      expect(seen['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen['x-forwarded-proto']).toBe('https');
    }
  });

  it('logout through nginx ends the session on both instances; push streams on both hear it within 1 s', async () => {
    expect(cookie).not.toBe('');
    const [a, b] = instances.map((instance) => instance.bff.runtime.push) as [
      BffServer['runtime']['push'],
      BffServer['runtime']['push'],
    ];
    // Streams through nginx until each instance holds one: whichever instance ends the session, a stream on
    // the other must hear it over Redis pub/sub.
    const streams: EventStream[] = [];
    for (let tries = 0; tries < 8 && (a.size === 0 || b.size === 0); tries++) {
      const stream = await openStream(`${publicUrl}/auth/events`, { ...API_HEADERS, cookie });
      expect(stream.status).toBe(200);
      streams.push(stream);
      await expect.poll(() => a.size + b.size).toBe(streams.length);
    }
    expect(a.size).toBeGreaterThan(0);
    expect(b.size).toBeGreaterThan(0);
    // Not held back by nginx: each stream's first bytes are already here.
    await expect.poll(() => streams.every((stream) => stream.raw().startsWith('retry:'))).toBe(true);

    const loggedOutAt = Date.now();
    const out = await browser.request(`${publicUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: publicUrl },
    });
    expect(out.status).toBe(200);
    for (const stream of streams) {
      const event = await stream.next(1000);
      expect(event.data).toEqual({ type: 'logged-out', reason: 'logout' });
      expect(event.at - loggedOutAt).toBeLessThan(1000);
      stream.close();
    }

    // Over on both instances, asked directly and through nginx.
    for (const instance of instances) {
      const answer = await direct(instance.port);
      expect(answer.status).toBe(401);
      expect(answer.json()).toMatchObject({ code: 'session_expired' });
    }
    for (let i = 0; i < 4; i++) {
      const through = await bare.get(`${publicUrl}/api/echo/item`, { ...API_HEADERS, cookie });
      expect(through.status).toBe(401);
      expect(through.json()).toMatchObject({ code: 'session_expired' });
    }
  });
});
