import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  API_HEADERS,
  describeWith,
  freePort,
  NAVIGATION_HEADERS,
  redisUrl,
  TestBrowser,
} from '@gatehouse/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createBffServer, createLogger, RedisSessionStore, resolveConfig } from '../src/index.js';
import { LogCapture, SECRET, signIn, startStack } from './support/stack.js';

describe('an unreachable identity provider', () => {
  it('starts anyway; login shows a clear 503 page; the session endpoint keeps answering', async () => {
    const dead = await freePort();
    const port = await freePort();
    const logs = new LogCapture();
    const config = resolveConfig({
      publicUrl: `http://localhost:${port}`,
      port,
      issuer: `http://127.0.0.1:${dead}`,
      sessionSecrets: [SECRET],
    });
    const bff = await (await createBffServer({ config, logger: createLogger('info', logs) })).listen();
    try {
      const browser = new TestBrowser();
      const login = await browser.get(`http://localhost:${port}/auth/login?returnTo=/`, NAVIGATION_HEADERS);
      expect(login.status).toBe(503);
      expect(login.header('content-type')).toMatch(/text\/html/);
      expect(login.text).toMatch(/identity provider cannot be reached/);
      expect(login.text).not.toMatch(/ECONNREFUSED|\.ts:\d+|at /);
      const session = await browser.get(`http://localhost:${port}/auth/session`, API_HEADERS);
      expect(session.json()).toEqual({ isAuthenticated: false });
      const logout = await browser.request(`http://localhost:${port}/auth/logout`, {
        method: 'POST',
        headers: { ...API_HEADERS, origin: `http://localhost:${port}` },
      });
      expect(logout.status).toBe(200);
      expect(logout.json()).toEqual({ redirectTo: '/' });
      expect(logs.events('login_failure').at(-1)).toMatchObject({ reason: 'issuer_unavailable' });
    } finally {
      await bff.close();
    }
  });
});

/** A TCP relay to Redis that a test can cut and restore, to take Redis away mid-traffic. */
async function relay(
  target: URL,
  listenPort?: number,
): Promise<{ port: number; cut(): void; restore(): Promise<void>; close(): Promise<void> }> {
  const port = listenPort ?? (await freePort());
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const start = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        sockets.add(client);
        const upstream = connect(Number(target.port || 6379), target.hostname);
        sockets.add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop);
        upstream.on('error', drop);
        client.on('close', drop);
        upstream.on('close', drop);
      });
      server.listen(port, '127.0.0.1', resolve);
    });
  await start();
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (server) server.close(() => resolve());
      else resolve();
      server = undefined;
    });
  return { port, cut: () => void stop(), restore: start, close: stop };
}

await describeWith(['redis'], 'Redis going away mid-traffic', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('fails closed with 503 store_unavailable problem+json, never a 500, a crash or a sign-out, and recovers without a restart', async () => {
    const link = await relay(new URL(redisUrl));
    cleanups.push(link.close);
    const prefix = `gh-test-${Math.random().toString(36).slice(2)}:`;
    const store = new RedisSessionStore({ url: `redis://127.0.0.1:${link.port}`, keyPrefix: prefix });
    cleanups.push(() => store.close());
    const stack = await startStack({ store });
    cleanups.push(stack.close);
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    expect((await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS)).status).toBe(200);

    link.cut();
    // A session read in the last sessionCacheMs (1 s) may still answer from the process's cache; after
    // that nothing is served without the store.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const path of ['/api/echo/x', '/auth/session']) {
      const answer = await browser.get(`${stack.bffUrl}${path}`, API_HEADERS);
      expect(answer.status, path).toBe(503);
      expect(answer.header('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.json()).toMatchObject({ code: 'store_unavailable' });
      // Try again in a second; the detail names no store, command or host (those are for the logs).
      expect(answer.header('retry-after'), path).toBe('1');
      expect(JSON.stringify(answer.json())).not.toMatch(/redis|get failed|127\.0\.0\.1/i);
    }
    const login = await browser.get(`${stack.bffUrl}/auth/login?returnTo=/`, NAVIGATION_HEADERS);
    expect(login.status).toBe(503);

    await link.restore();
    let recovered = 0;
    for (let attempt = 0; attempt < 50 && recovered !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      recovered = (await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS)).status;
    }
    expect(recovered).toBe(200);
  });
});

describe('the identity provider going away with sessions open', () => {
  it('keeps sessions working until their token expires, answers 503 (session kept) after, and refreshes once it is back', async () => {
    const relayPort = await freePort();
    const bffPort = await freePort();
    const { bffClient, createDevIdp } = await import('@gatehouse/dev-idp');
    const idp = await createDevIdp({
      port: 0,
      issuer: `http://localhost:${relayPort}`,
      clients: [bffClient({ baseUrl: `http://localhost:${bffPort}` })],
      ttl: { AccessToken: 4 },
    });
    const link = await relay(new URL(`http://127.0.0.1:${idp.port}`), relayPort);
    const stack = await startStack({
      idp,
      bffPort,
      bff: (echo) => ({ refreshLeeway: 2, upstreams: { echo: { url: echo } } }),
    });
    try {
      const browser = new TestBrowser();
      await signIn(browser, stack, 'alice');
      await new Promise((resolve) => setTimeout(resolve, 2300));
      link.cut();
      // The refresh is due but the IdP is gone: the still-valid token keeps the API working.
      expect((await browser.get(`${stack.bffUrl}/api/echo/a`, API_HEADERS)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const expired = await browser.get(`${stack.bffUrl}/api/echo/b`, API_HEADERS);
      expect(expired.status).toBe(503);
      expect(expired.json()).toMatchObject({ code: 'upstream_unavailable' });
      expect((await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json()).toMatchObject({
        isAuthenticated: true,
      });
      await link.restore();
      const back = await browser.get(`${stack.bffUrl}/api/echo/c`, API_HEADERS);
      expect(back.status).toBe(200);
      expect(stack.refreshGrants()).toBe(1);
    } finally {
      await stack.close();
      await link.close();
      await idp.close();
    }
  });
});
