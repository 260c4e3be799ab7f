import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { freePort } from '@gatehouse/testing';
import { request } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';

/** A real WebSocket upstream (the `ws` library): echoes each message as `echo:<text>`, says `hello` on open. */
export interface WsUpstream {
  readonly url: string;
  /** The handshake headers of each connection it accepted. */
  readonly handshakes: IncomingHttpHeaders[];
  /** The request-target of each connection it accepted. */
  readonly paths: string[];
  /** Connections open now. */
  open(): number;
  close(): Promise<void>;
}

export async function startWsUpstream(): Promise<WsUpstream> {
  const handshakes: IncomingHttpHeaders[] = [];
  const paths: string[] = [];
  const server: Server = createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    handshakes.push(req.headers);
    paths.push(req.url ?? '');
    socket.send('hello');
    socket.on('message', (data) => socket.send(`echo:${data.toString()}`));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    handshakes,
    paths,
    open: () => wss.clients.size,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A real SSE upstream: on a GET it sends `data: tick <n>` at once and every `everyMs`, until the client leaves. */
export interface SseUpstream {
  readonly url: string;
  readonly seen: IncomingHttpHeaders[];
  open(): number;
  close(): Promise<void>;
}

export async function startSseUpstream(everyMs = 200): Promise<SseUpstream> {
  const seen: IncomingHttpHeaders[] = [];
  let open = 0;
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    open++;
    let n = 0;
    res.write(`data: tick ${n++}\n\n`);
    const timer = setInterval(() => res.write(`data: tick ${n++}\n\n`), everyMs);
    res.on('close', () => {
      clearInterval(timer);
      open--;
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    open: () => open,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A WebSocket client's handshake: open (101), or refused with the BFF's status and problem. */
export type Opened =
  | {
      readonly status: 101;
      readonly socket: WebSocket;
      readonly messages: string[];
      readonly closed: Promise<number>;
      /** The close code and reason the client got (1006 and '' when the connection was cut without one). */
      readonly closeFrame: Promise<{ code: number; reason: string }>;
    }
  | { readonly status: number; readonly problem: Record<string, unknown>; readonly contentType: string };

/** Opens a WebSocket through the BFF with these handshake headers (the `ws` client, as a browser would). */
export function openWebSocket(url: string, headers: Record<string, string>): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(data.toString()));
    // Resolves with when the connection closed (`Date.now()`).
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    const closeFrame = new Promise<{ code: number; reason: string }>((done) =>
      socket.once('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
    socket.once('open', () => resolve({ status: 101, socket, messages, closed, closeFrame }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          problem: JSON.parse(body) as Record<string, unknown>,
          contentType: String(res.headers['content-type']),
        }),
      );
    });
    socket.once('error', reject);
  });
}

/** Waits until `check` holds, polling every 10 ms, or fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An event stream read through the BFF: its status and headers, the text so far, and when it ended. */
export interface StreamReader {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  text(): string;
  /** Resolves with when the stream ended (`Date.now()`), by either side. */
  readonly ended: Promise<number>;
  /** Whether the body ended cleanly (its last chunk came), not cut. Known once {@link ended} resolved. */
  cleanEnd(): boolean;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string>): Promise<StreamReader> {
  const controller = new AbortController();
  const answer = await request(url, { headers, signal: controller.signal });
  let text = '';
  let clean = false;
  const ended = (async () => {
    try {
      for await (const chunk of answer.body) text += chunk.toString();
      clean = true;
    } catch {
      // ended by close(), or the connection was cut
    }
    return Date.now();
  })();
  return {
    status: answer.statusCode,
    headers: answer.headers as IncomingHttpHeaders,
    text: () => text,
    ended,
    cleanEnd: () => clean,
    close: () => controller.abort(),
  };
}
