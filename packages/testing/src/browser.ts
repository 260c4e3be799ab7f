import { CookieJar } from 'tough-cookie';
import { type Dispatcher, request } from 'undici';

/** One HTTP answer as a test sees it. */
export interface TestResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly url: string;
  readonly text: string;
  json<T = unknown>(): T;
  /** A header's value (the first one when repeated). */
  header(name: string): string | undefined;
  /** Every `Set-Cookie` line of the answer. */
  setCookies(): string[];
}

/** Request options of {@link TestBrowser}. */
export interface TestRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** An HTML form body (`application/x-www-form-urlencoded`). */
  readonly form?: Record<string, string>;
  /** A JSON body. */
  readonly json?: unknown;
  readonly body?: string;
}

/** Fetch Metadata a browser sends for a top-level navigation typed in the address bar. */
export const NAVIGATION_HEADERS = Object.freeze({
  accept: 'text/html,application/xhtml+xml',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'none',
  'sec-fetch-dest': 'document',
});

/** Headers a shell's API client sends for a same-origin call. */
export const API_HEADERS = Object.freeze({
  accept: 'application/json',
  'x-csrf': '1',
  'sec-fetch-mode': 'cors',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-dest': 'empty',
});

/**
 * A browser stand-in for HTTP tests: a cookie jar (tough-cookie) and requests over undici, which (unlike
 * Node's `fetch`) adds no Fetch Metadata of its own, so tests choose exactly what a browser would send.
 * Redirects are followed by hand with {@link TestBrowser.follow}.
 *
 * @example
 * const browser = new TestBrowser();
 * const answer = await browser.get('http://localhost:4000/auth/session', API_HEADERS);
 */
export class TestBrowser {
  readonly jar = new CookieJar();
  readonly #dispatcher: Dispatcher | undefined;

  /**
   * @param options.dispatcher the undici dispatcher for every request (default undici's global one), e.g. an
   *   `Agent` of the caller's that it closes when done
   */
  constructor(options: { dispatcher?: Dispatcher } = {}) {
    this.#dispatcher = options.dispatcher;
  }

  async request(url: string, init: TestRequest = {}): Promise<TestResponse> {
    const cookie = await this.jar.getCookieString(url);
    const headers: Record<string, string> = { ...init.headers };
    if (cookie) headers.cookie = cookie;
    let body: string | undefined = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] ??= 'application/json';
    }
    const answer = await request(url, {
      method: (init.method ?? (body !== undefined ? 'POST' : 'GET')) as 'GET',
      headers,
      body,
      ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
    });
    const text = await answer.body.text();
    const raw = answer.headers as Record<string, string | string[] | undefined>;
    const setCookies = ([] as string[]).concat(raw['set-cookie'] ?? []);
    for (const line of setCookies) await this.jar.setCookie(line, url, { ignoreError: true });
    return {
      status: answer.statusCode,
      headers: raw,
      url,
      text,
      json: <T>() => JSON.parse(text) as T,
      header: (name) => {
        const value = raw[name.toLowerCase()];
        return Array.isArray(value) ? value[0] : value;
      },
      setCookies: () => setCookies,
    };
  }

  get(url: string, headers: Record<string, string> = {}): Promise<TestResponse> {
    return this.request(url, { headers });
  }

  /**
   * Follows redirects like a browser (303 and POST→302 become GET) until an answer is not a redirect or
   * `stop(location)` says to stop there. Navigation headers are sent on every hop.
   */
  async follow(
    url: string,
    init: TestRequest = {},
    stop: (location: URL) => boolean = () => false,
  ): Promise<{ response: TestResponse; stoppedAt?: URL }> {
    let current = url;
    let next: TestRequest = { ...init, headers: { ...NAVIGATION_HEADERS, ...init.headers } };
    for (let hop = 0; hop < 20; hop++) {
      const response = await this.request(current, next);
      const location = response.header('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response };
      const target = new URL(location, current);
      if (stop(target)) return { response, stoppedAt: target };
      const sameOrigin = new URL(current).origin === target.origin;
      current = target.href;
      next = {
        headers: { ...NAVIGATION_HEADERS, 'sec-fetch-site': sameOrigin ? 'same-origin' : 'cross-site' },
        ...(response.status === 307 || response.status === 308
          ? { method: next.method, body: next.body }
          : {}),
      };
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

/** Values of the hidden inputs and the action of the first `<form>` on an HTML page. */
export function readForm(html: string, base: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form on the page:\n${html.slice(0, 500)}`);
  const fields: Record<string, string> = {};
  for (const input of (form[2] ?? '').matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1];
    if (name && /type="hidden"/i.test(input[0])) fields[name] = decodeEntities(value ?? '');
  }
  return { action: new URL(decodeEntities(form[1] ?? ''), base).href, fields };
}

/** An attribute value as the browser reads it: the named and numeric character references pages use. */
function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };
  return text.replace(/&(?:#(\d+)|#x([0-9a-f]+)|(amp|quot|apos|lt|gt));/gi, (whole, dec, hex, name) =>
    dec
      ? String.fromCodePoint(Number(dec))
      : hex
        ? String.fromCodePoint(Number.parseInt(hex, 16))
        : (named[name.toLowerCase()] ?? whole),
  );
}
