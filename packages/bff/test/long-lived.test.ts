import { API_HEADERS, endIdpSession, freePort, TestBrowser } from '@gatehouse/testing';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Opened,
  openStream,
  openWebSocket,
  type SseUpstream,
  startSseUpstream,
  startWsUpstream,
  until,
  type WsUpstream,
} from './support/long-lived.js';
import { type Stack, type StackOptions, signIn, startStack } from './support/stack.js';

let ws: WsUpstream;
let sse: SseUpstream;
let stack: Stack;

const withLongLived = (bff: Record<string, unknown> = {}): StackOptions => ({
  bff: (echo) => ({
    upstreams: {
      echo: { url: echo },
      live: { url: `${ws.url}/base`, websocket: true },
      feed: { url: sse.url, sse: true },
    },
    ...bff,
  }),
});

beforeAll(async () => {
  ws = await startWsUpstream();
  sse = await startSseUpstream();
  stack = await startStack(withLongLived({ maxLongLivedPerSession: 3 }));
});
afterAll(async () => {
  await stack?.close();
  await ws?.close();
  await sse?.close();
});

async function signedIn(user: string, on: Stack = stack) {
  const browser = new TestBrowser();
  await signIn(browser, on, user);
  const cookie = await browser.jar.getCookieString(on.bffUrl);
  return { browser, cookie };
}

const wsUrl = (on: Stack, path: string) => `${on.bffUrl.replace(/^http/, 'ws')}${path}`;
const handshake = (on: Stack, cookie: string, extra: Record<string, string> = {}) => ({
  cookie,
  origin: on.bffUrl,
  'sec-fetch-site': 'same-origin',
  ...extra,
});
const eventStream = (cookie: string) => ({
  cookie,
  accept: 'text/event-stream',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-mode': 'cors',
});

function open(opened: Opened) {
  if (opened.status !== 101) throw new Error(`handshake refused: ${JSON.stringify(opened)}`);
  return opened as Extract<Opened, { status: 101 }>;
}

async function logout(browser: TestBrowser, on: Stack) {
  const answer = await browser.request(`${on.bffUrl}/auth/logout`, {
    method: 'POST',
    headers: { ...API_HEADERS, origin: on.bffUrl },
  });
  expect(answer.status).toBeLessThan(400);
}

describe('WebSocket through /api/* (opted in with websocket: true)', () => {
  it('attaches the bearer (never the cookie), maps the path, and carries messages both ways', async () => {
    const { cookie } = await signedIn('alice');
    const conn = open(await openWebSocket(wsUrl(stack, '/api/live/chat?room=1'), handshake(stack, cookie)));
    const seen = ws.handshakes.at(-1);
    expect(seen?.authorization).toMatch(/^Bearer eyJ/);
    expect(seen?.cookie).toBeUndefined();
    expect(seen?.host).toBe(new URL(ws.url).host);
    expect(ws.paths.at(-1)).toBe('/base/chat?room=1');
    conn.socket.send('ping');
    await until(() => conn.messages.includes('echo:ping'));
    expect(conn.messages).toEqual(['hello', 'echo:ping']);
    // A big message in many frames goes through unchanged.
    const big = 'x'.repeat(256 * 1024);
    conn.socket.send(big);
    await until(() => conn.messages.includes(`echo:${big}`));
    conn.socket.close();
    await conn.closed;
    await until(() => stack.bff.runtime.longLived.size === 0);
  });

  it('refuses a handshake without a session (401), leaving the upstream untouched', async () => {
    const before = ws.handshakes.length;
    const refused = await openWebSocket(wsUrl(stack, '/api/live/chat'), {
      origin: stack.bffUrl,
      'sec-fetch-site': 'same-origin',
    });
    expect(refused).toMatchObject({
      status: 401,
      contentType: 'application/problem+json',
      problem: { code: 'unauthenticated' },
    });
    expect(ws.handshakes.length).toBe(before);
  });

  it('refuses a wrong, missing or look-alike Origin and a cross-site or same-site Sec-Fetch-Site (403)', async () => {
    const { cookie } = await signedIn('bob');
    const before = ws.handshakes.length;
    const bad: Array<Record<string, string | undefined>> = [
      { origin: 'http://evil.example' },
      { origin: `${stack.bffUrl}.evil.example` },
      { origin: stack.bffUrl.replace('localhost', '127.0.0.1') },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const extra of bad) {
      const refused = await openWebSocket(wsUrl(stack, '/api/live/chat'), {
        ...handshake(stack, cookie),
        ...(extra as Record<string, string>),
      });
      expect(refused, JSON.stringify(extra)).toMatchObject({ status: 403, problem: { code: 'csrf_failed' } });
    }
    const { origin: _, ...noOrigin } = handshake(stack, cookie);
    // The `ws` client sends no Origin unless told to: as a non-browser client would.
    expect(await openWebSocket(wsUrl(stack, '/api/live/chat'), noOrigin)).toMatchObject({ status: 403 });
    expect(ws.handshakes.length).toBe(before);
    expect(stack.logs.events('csrf_refused').at(-1)).toMatchObject({ upstream: 'live' });
  });

  it('refuses upstreams that did not opt in, unknown ones, and unsafe paths', async () => {
    const { cookie } = await signedIn('carol');
    const headers = handshake(stack, cookie);
    expect(await openWebSocket(wsUrl(stack, '/api/echo/x'), headers)).toMatchObject({ status: 400 });
    expect(await openWebSocket(wsUrl(stack, '/api/nope/x'), headers)).toMatchObject({ status: 404 });
    expect(await openWebSocket(wsUrl(stack, '/api/live/a%2fb'), headers)).toMatchObject({
      status: 400,
    });
  });

  it('closes open WebSockets within 1 s after logout, with a close frame 1008 and its reason', async () => {
    const { browser, cookie } = await signedIn('dave');
    const first = open(await openWebSocket(wsUrl(stack, '/api/live/a'), handshake(stack, cookie)));
    const second = open(await openWebSocket(wsUrl(stack, '/api/live/b'), handshake(stack, cookie)));
    const other = open(
      await openWebSocket(wsUrl(stack, '/api/live/c'), handshake(stack, (await signedIn('erin')).cookie)),
    );
    const started = Date.now();
    await logout(browser, stack);
    for (const conn of [first, second]) {
      expect((await conn.closed) - started).toBeLessThan(1000);
      expect(await conn.closeFrame).toEqual({ code: 1008, reason: 'session ended' });
    }
    // Another user's session is not touched.
    other.socket.send('still here');
    await until(() => other.messages.includes('echo:still here'));
    other.socket.close();
    // The ended session's cookie opens nothing any more.
    expect(await openWebSocket(wsUrl(stack, '/api/live/a'), handshake(stack, cookie))).toMatchObject({
      status: 401,
    });
  });

  it('closes open WebSockets within 1 s after back-channel logout from the IdP', async () => {
    const { browser, cookie } = await signedIn('frank');
    const conn = open(await openWebSocket(wsUrl(stack, '/api/live/a'), handshake(stack, cookie)));
    const sentAt = await endIdpSession(browser, stack.idp.issuer);
    expect((await conn.closed) - sentAt).toBeLessThan(1000);
    expect(await conn.closeFrame).toEqual({ code: 1008, reason: 'session ended' });
  });

  it('writes the close frame between two of the upstream’s frames, however they arrive', async () => {
    const { browser, cookie } = await signedIn('bob');
    const conn = open(await openWebSocket(wsUrl(stack, '/api/live/big'), handshake(stack, cookie)));
    // Large echoes (each several TCP chunks) still on their way when the session ends.
    const big = 'x'.repeat(200_000);
    for (let i = 0; i < 5; i++) conn.socket.send(big);
    await until(() => conn.messages.some((message) => message.startsWith('echo:')));
    await logout(browser, stack);
    expect(await conn.closeFrame).toEqual({ code: 1008, reason: 'session ended' });
    // Every echo the client got is whole: the close frame was not spliced into one.
    const echoes = conn.messages.filter((message) => message.startsWith('echo:'));
    expect(echoes.length).toBeGreaterThanOrEqual(1);
    expect(echoes.every((message) => message === `echo:${big}`)).toBe(true);
  });

  it('caps connections per session (429) and frees a place when one closes', async () => {
    const { cookie } = await signedIn('alice');
    const held = [];
    for (let i = 0; i < 3; i++)
      held.push(open(await openWebSocket(wsUrl(stack, `/api/live/${i}`), handshake(stack, cookie))));
    expect(await openWebSocket(wsUrl(stack, '/api/live/4'), handshake(stack, cookie))).toMatchObject({
      status: 429,
      problem: { code: 'too_many_requests' },
    });
    // An event stream counts against the same cap.
    const stream = await openStream(`${stack.bffUrl}/api/feed/events`, eventStream(cookie));
    expect(stream.status).toBe(429);
    held[0]?.socket.close();
    await held[0]?.closed;
    await until(() => stack.bff.runtime.longLived.size === 2);
    const again = open(await openWebSocket(wsUrl(stack, '/api/live/5'), handshake(stack, cookie)));
    for (const conn of [...held, again]) conn.socket.close();
  });
});

describe('Server-Sent Events through /api/* (opted in with sse: true)', () => {
  it('streams events as they come, unbuffered, with the bearer and without the x-csrf header', async () => {
    const { cookie } = await signedIn('bob');
    const stream = await openStream(`${stack.bffUrl}/api/feed/events`, {
      ...eventStream(cookie),
      'accept-encoding': 'gzip',
    });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers['content-encoding']).toBeUndefined();
    const seen = sse.seen.at(-1);
    expect(seen?.authorization).toMatch(/^Bearer eyJ/);
    expect(seen?.cookie).toBeUndefined();
    // Asked uncompressed, so no compressor upstream holds events back.
    expect(seen?.['accept-encoding']).toBeUndefined();
    // Each tick arrives on its own, 200 ms apart: nothing waits for a buffer to fill.
    await until(() => stream.text().includes('data: tick 0\n\n'), 1000);
    expect(stream.text()).not.toContain('tick 1');
    await until(() => stream.text().includes('data: tick 2\n\n'), 1000);
    stream.close();
    await until(() => stack.bff.runtime.longLived.size === 0);
  });

  it('refuses an event stream without a session (401) and from another origin or site (403)', async () => {
    const anonymous = await openStream(`${stack.bffUrl}/api/feed/events`, eventStream(''));
    expect(anonymous.status).toBe(401);
    const { cookie } = await signedIn('carol');
    const bad: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'http://evil.example' },
    ];
    for (const extra of bad) {
      const refused = await openStream(`${stack.bffUrl}/api/feed/events`, {
        ...eventStream(cookie),
        ...extra,
      });
      expect(refused.status, JSON.stringify(extra)).toBe(403);
    }
  });

  it('closes open event streams within 1 s after logout and after back-channel logout', async () => {
    const { browser, cookie } = await signedIn('dave');
    const stream = await openStream(`${stack.bffUrl}/api/feed/events`, eventStream(cookie));
    expect(stream.status).toBe(200);
    const started = Date.now();
    await logout(browser, stack);
    expect((await stream.ended) - started).toBeLessThan(1000);
    // Ended cleanly (the chunked body's last chunk), not cut.
    expect(stream.cleanEnd()).toBe(true);
    await until(() => sse.open() === 0);

    const other = await signedIn('erin');
    const second = await openStream(`${stack.bffUrl}/api/feed/events`, eventStream(other.cookie));
    const sentAt = await endIdpSession(other.browser, stack.idp.issuer);
    expect((await second.ended) - sentAt).toBeLessThan(1000);
  });
});

describe('expiry and the total cap', () => {
  it('closes WebSockets and event streams within 1 s of an idle expiry, and is no activity itself', async () => {
    const short = await startStack(withLongLived({ idleTimeout: 2, absoluteTimeout: 60 }));
    try {
      const { browser, cookie } = await signedIn('alice', short);
      const conn = open(await openWebSocket(wsUrl(short, '/api/live/a'), handshake(short, cookie)));
      const stream = await openStream(`${short.bffUrl}/api/feed/events`, eventStream(cookie));
      // Reading the session is not activity: its expiry is the one the handshakes left.
      const identity = (await browser.get(`${short.bffUrl}/auth/session`, API_HEADERS)).json<{
        session: { expiresAt: string };
      }>();
      const expiresAt = Date.parse(identity.session.expiresAt);
      // Traffic on the open connection does not keep the session alive.
      const chatter = setInterval(() => conn.socket.send('tick'), 100);
      const [wsClosed, streamEnded] = await Promise.all([conn.closed, stream.ended]);
      clearInterval(chatter);
      for (const at of [wsClosed, streamEnded]) {
        expect(at).toBeGreaterThanOrEqual(expiresAt - 50);
        expect(at - expiresAt).toBeLessThan(1000);
      }
    } finally {
      await short.close();
    }
  });

  it('refuses beyond the total cap of the process (503)', async () => {
    const small = await startStack(withLongLived({ maxLongLivedPerSession: 1, maxLongLived: 1 }));
    try {
      const one = open(
        await openWebSocket(
          wsUrl(small, '/api/live/a'),
          handshake(small, (await signedIn('alice', small)).cookie),
        ),
      );
      const refused = await openWebSocket(
        wsUrl(small, '/api/live/a'),
        handshake(small, (await signedIn('bob', small)).cookie),
      );
      expect(refused).toMatchObject({ status: 503, problem: { code: 'upstream_unavailable' } });
      one.socket.close();
    } finally {
      await small.close();
    }
  });
});

describe('the session ends while a connection is being opened', () => {
  it('closes a WebSocket and an event stream whose session ended between the look-up and the registration', async () => {
    const racy = await startStack(withLongLived());
    try {
      const { cookie } = await signedIn('carol', racy);
      const { sessions } = racy.bff.runtime;
      const resolve = sessions.resolve.bind(sessions);
      // The real look-up, then the real end of the session (store deleted, end announced) before the proxy
      // registers the connection: the announcement reaches no one, as when a logout lands in that window.
      sessions.resolve = (id) =>
        Promise.resolve(resolve(id)).then(async (found) => {
          if ('record' in found) await sessions.endById(id, 'logout');
          return found;
        });
      // Without the re-check both would stay open: bounded waits, so the test fails rather than hangs.
      const within = <T>(promise: Promise<T>) =>
        Promise.race([promise, new Promise<string>((done) => setTimeout(() => done('still open'), 2000))]);
      // Refused before the upgrade (401) or closed just after it (1008), depending on which comes first.
      const opened = await openWebSocket(wsUrl(racy, '/api/live/a'), handshake(racy, cookie));
      if ('closeFrame' in opened)
        expect(await within(opened.closeFrame)).toEqual({ code: 1008, reason: 'session ended' });
      else expect(opened).toMatchObject({ status: 401, problem: { code: 'session_expired' } });
      const stream = await openStream(`${racy.bffUrl}/api/feed/events`, eventStream(cookie));
      expect(typeof (await within(stream.ended))).toBe('number');
      await until(() => racy.bff.runtime.longLived.size === 0);
      sessions.resolve = resolve;
    } finally {
      await racy.close();
    }
  });
});

describe('the open connections gauge', () => {
  it('counts open WebSockets and event streams by kind and upstream on /metrics', async () => {
    const port = await freePort();
    const measured = await startStack(withLongLived({ metricsPort: port }));
    const scrape = async () => (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
    const gauge = (text: string, kind: string, upstream: string) =>
      Number(
        new RegExp(
          `^gatehouse_long_lived_connections\\{kind="${kind}",upstream="${upstream}"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1],
      );
    try {
      const { cookie } = await signedIn('alice', measured);
      const sockets = [
        open(await openWebSocket(wsUrl(measured, '/api/live/a'), handshake(measured, cookie))),
        open(await openWebSocket(wsUrl(measured, '/api/live/b'), handshake(measured, cookie))),
      ];
      const stream = await openStream(`${measured.bffUrl}/api/feed/events`, eventStream(cookie));
      let text = await scrape();
      expect(text).toContain('# TYPE gatehouse_long_lived_connections gauge');
      expect(gauge(text, 'ws', 'live')).toBe(2);
      expect(gauge(text, 'sse', 'feed')).toBe(1);
      for (const conn of sockets) conn.socket.close();
      stream.close();
      await until(() => measured.bff.runtime.longLived.size === 0);
      text = await scrape();
      expect(gauge(text, 'ws', 'live')).toBe(0);
      expect(gauge(text, 'sse', 'feed')).toBe(0);
    } finally {
      await measured.close();
    }
  });
});
