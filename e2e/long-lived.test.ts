import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createBffServer, createLogger, resolveConfig } from '@gatehouse/bff';
import { demoPage } from '@gatehouse/cli';
import { bffClient, createDevIdp } from '@gatehouse/dev-idp';
import { describeWith, freePort, launchChromium } from '@gatehouse/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

/** What the page saw of its two connections, with the page's own clock. */
interface Seen {
  wsOpen: boolean;
  wsMessages: string[];
  wsClosedAt: number;
  wsClose: { code: number; reason: string } | undefined;
  esMessages: string[];
  esErrorAt: number;
  esState: number;
  loggedOutAt: number;
}

/**
 * Issue 14's long-lived connections in the real Chromium: a signed-in page opens a WebSocket and an
 * EventSource through `/api/*` (a real `ws` upstream and a real SSE upstream behind the BFF), both carry data
 * with the bearer attached upstream, and both are closed within a second of the user's logout — the WebSocket with a close frame 1008.
 */
await describeWith(['chromium'], 'long-lived connections in Chromium', () => {
  let browser: Browser;
  let bffUrl: string;
  const stops: Array<() => Promise<unknown>> = [];
  const wsHandshakes: IncomingHttpHeaders[] = [];
  const sseRequests: IncomingHttpHeaders[] = [];
  let sseOpen = 0;
  let wss: WebSocketServer;

  beforeAll(async () => {
    const port = await freePort();
    bffUrl = `http://localhost:${port}`;
    const idp = await createDevIdp({ port: 0, clients: [bffClient({ baseUrl: bffUrl })] });
    stops.push(() => idp.close());

    const wsServer = createServer((_req, res) => res.writeHead(426).end());
    wss = new WebSocketServer({ server: wsServer });
    wss.on('connection', (socket, req) => {
      wsHandshakes.push(req.headers);
      socket.on('message', (data) => socket.send(`echo:${data.toString()}`));
    });
    const wsPort = await freePort();
    await new Promise<void>((resolve) => wsServer.listen(wsPort, '127.0.0.1', resolve));
    stops.push(async () => {
      for (const client of wss.clients) client.terminate();
      wsServer.close();
    });

    const sseServer = createServer((req, res) => {
      sseRequests.push(req.headers);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      sseOpen++;
      let n = 0;
      // A short retry, so the browser tries again at once after the cut and hears the 401.
      res.write(`retry: 100\ndata: tick ${n++}\n\n`);
      const timer = setInterval(() => res.write(`data: tick ${n++}\n\n`), 200);
      res.on('close', () => {
        clearInterval(timer);
        sseOpen--;
      });
    });
    const ssePort = await freePort();
    await new Promise<void>((resolve) => sseServer.listen(ssePort, '127.0.0.1', resolve));
    stops.push(async () => {
      sseServer.closeAllConnections();
      sseServer.close();
    });

    const config = resolveConfig({
      publicUrl: bffUrl,
      issuer: idp.issuer,
      resource: 'urn:gatehouse:shop',
      sessionSecrets: ['e2e-session-secret-with-32-characters!'],
      upstreams: {
        live: { url: `http://127.0.0.1:${wsPort}`, websocket: true },
        feed: { url: `http://127.0.0.1:${ssePort}`, sse: true },
      },
      routes: [{ path: '/account/*', auth: 'required' }],
    });
    const bff = await (
      await createBffServer({ config, logger: createLogger('silent'), renderPage: demoPage })
    ).listen();
    stops.push(() => bff.close());
    browser = await launchChromium();
    stops.push(() => browser.close());
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('a signed-in page’s WebSocket and EventSource through /api/* carry data, then close within 1 s of logout (1008)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${bffUrl}/account/live`);
    await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    await page.fill('input[name="login"]', 'alice');
    await page.fill('input[name="password"]', 'alice');
    await page.click('button[type="submit"]');
    await page.waitForURL(`${bffUrl}/account/live`);

    await page.evaluate(() => {
      const seen: Seen = {
        wsOpen: false,
        wsMessages: [],
        wsClosedAt: 0,
        wsClose: undefined,
        esMessages: [],
        esErrorAt: 0,
        esState: 0,
        loggedOutAt: 0,
      };
      (window as unknown as { seen: Seen }).seen = seen;
      const socket = new WebSocket(`ws://${location.host}/api/live/chat`);
      socket.onopen = () => {
        seen.wsOpen = true;
        socket.send('hi from the page');
      };
      socket.onmessage = (event) => seen.wsMessages.push(String(event.data));
      socket.onclose = (event) => {
        seen.wsClosedAt = Date.now();
        seen.wsClose = { code: event.code, reason: event.reason };
      };
      const source = new EventSource('/api/feed/events');
      source.onmessage = (event) => seen.esMessages.push(String(event.data));
      source.onerror = () => {
        seen.esErrorAt ||= Date.now();
        seen.esState = source.readyState;
      };
    });
    const seen = () => page.evaluate(() => (window as unknown as { seen: Seen }).seen);
    await expect.poll(async () => (await seen()).wsMessages).toEqual(['echo:hi from the page']);
    await expect.poll(async () => (await seen()).esMessages.length).toBeGreaterThanOrEqual(2);
    expect(wsHandshakes.at(-1)?.authorization).toMatch(/^Bearer eyJ/);
    expect(wsHandshakes.at(-1)?.cookie).toBeUndefined();
    expect(sseRequests.at(-1)?.authorization).toMatch(/^Bearer eyJ/);
    expect(wss.clients.size).toBe(1);
    expect(sseOpen).toBe(1);

    const status = await page.evaluate(async () => {
      const answer = await fetch('/auth/logout', { method: 'POST', headers: { 'x-csrf': '1' } });
      (window as unknown as { seen: Seen }).seen.loggedOutAt = Date.now();
      return answer.status;
    });
    expect(status).toBe(200);
    await expect.poll(async () => (await seen()).wsClosedAt, { timeout: 2000 }).toBeGreaterThan(0);
    await expect.poll(async () => (await seen()).esErrorAt, { timeout: 2000 }).toBeGreaterThan(0);
    const after = await seen();
    expect(after.wsClosedAt - after.loggedOutAt).toBeLessThan(1000);
    // The browser got the BFF's close frame: 1008 (policy violation), with its reason.
    expect(after.wsClose).toEqual({ code: 1008, reason: 'session ended' });
    expect(after.esErrorAt - after.loggedOutAt).toBeLessThan(1000);
    // The upstreams saw both connections end; the EventSource's retry met a 401 and gave up (CLOSED).
    await expect.poll(() => wss.clients.size + sseOpen, { timeout: 1000 }).toBe(0);
    await expect.poll(async () => (await seen()).esState, { timeout: 3000 }).toBe(2);
    await context.close();
  });
});
