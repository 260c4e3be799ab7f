import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { type BffServer, createBffServer, createLogger, optionsFromEnv, resolveConfig } from '@gatehouse/bff';
import { API_HEADERS, freePort, readForm, type TestBrowser } from '@gatehouse/testing';

// What the interop suites share: a BFF configured by environment alone (as `npx gatehouse serve` is), an
// upstream that records the bearer tokens it receives, and a log the tests can read.

/** The BFF's JSON log lines, kept in memory. */
export class LogLines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
  /** Entries whose `event` is `name`. */
  events(name: string): Array<Record<string, unknown>> {
    return this.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.event === name);
  }
}

/** A BFF started from environment variables, on its own port. */
export interface EnvBff {
  readonly url: string;
  readonly server: BffServer;
  readonly logs: LogLines;
  close(): Promise<void>;
}

/** A free port for a BFF whose callback must be registered at the issuer before the BFF starts. */
export async function reservePort(): Promise<{ port: number; url: string }> {
  const port = await freePort();
  return { port, url: `http://localhost:${port}` };
}

/**
 * Starts the BFF from `env` only (plus `GATEHOUSE_PUBLIC_URL` on the reserved port), with pages off: the
 * interop suites speak HTTP to `/auth/*` and `/api/*`.
 */
export async function startEnvBff(
  reserved: { port: number; url: string },
  env: Record<string, string>,
): Promise<EnvBff> {
  const logs = new LogLines();
  const config = resolveConfig(
    optionsFromEnv({ GATEHOUSE_PUBLIC_URL: reserved.url, GATEHOUSE_LOG_LEVEL: 'debug', ...env }),
  );
  const server = await (
    await createBffServer({ config, logger: createLogger('debug', logs), renderPage: false })
  ).listen();
  return { url: reserved.url, server, logs, close: () => server.close() };
}

/** The identity context the BFF answers for `browser`. */
export async function identityOf(browser: TestBrowser, bffUrl: string): Promise<Record<string, unknown>> {
  return (await browser.get(`${bffUrl}/auth/session`, API_HEADERS)).json();
}

/** One request an upstream received. */
export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/** An HTTP upstream that answers 200 with what it received, and remembers it. */
export interface RecordingUpstream {
  readonly url: string;
  readonly received: Received[];
  /** The bearer token of each request, in order (`undefined` without one). */
  bearers(): Array<string | undefined>;
  close(): Promise<void>;
}

export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    received.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, authorized: Boolean(req.headers.authorization) }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    bearers: () => received.map((r) => /^Bearer (.+)$/.exec(r.headers.authorization ?? '')?.[1]),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Calls the BFF's `/api/<path>` as the shell's API client does. */
export function callApi(browser: TestBrowser, bffUrl: string, path: string) {
  return browser.get(`${bffUrl}/api/${path}`, API_HEADERS);
}

/** Signs out through the BFF (`POST /auth/logout`): answers where the BFF sends the browser next. */
export async function logout(browser: TestBrowser, bffUrl: string): Promise<string> {
  const answer = await browser.request(`${bffUrl}/auth/logout`, { method: 'POST', headers: API_HEADERS });
  if (answer.status !== 200) throw new Error(`logout: ${answer.status} ${answer.text}`);
  return answer.json<{ redirectTo: string }>().redirectTo;
}

/**
 * Signs out as the shell does and follows through like the browser: `POST /auth/logout`, then the page it
 * names (the BFF's sign-out page posts its form to the issuer; a browser's script submits it, here the form is
 * posted by hand), then the issuer's redirects. Answers where the browser ends up, and the pages it saw.
 */
export async function signOutFully(
  browser: TestBrowser,
  bffUrl: string,
): Promise<{
  readonly landedAt: URL | undefined;
  readonly issuerPage: string | undefined;
  readonly hinted: boolean;
}> {
  const redirectTo = await logout(browser, bffUrl);
  const target = new URL(redirectTo, bffUrl).href;
  const page = await browser.follow(target, {}, (location) => location.origin === new URL(bffUrl).origin);
  if (page.stoppedAt) return { landedAt: page.stoppedAt, issuerPage: undefined, hinted: false };
  if (!target.startsWith(bffUrl))
    return { landedAt: undefined, issuerPage: page.response.text, hinted: false };
  const form = readForm(page.response.text, page.response.url);
  const posted = await browser.follow(
    form.action,
    { form: form.fields, headers: { 'sec-fetch-site': 'cross-site' } },
    (location) => location.origin === new URL(bffUrl).origin,
  );
  return {
    landedAt: posted.stoppedAt,
    issuerPage: posted.stoppedAt ? undefined : posted.response.text,
    hinted: 'id_token_hint' in form.fields,
  };
}
