import { findJwts } from '@gatehouse/testing';
import type { BrowserContext, Page } from 'playwright-core';

/**
 * The leak scan run after every journey: no token-shaped string (a JWT, `eyJ….…`) and none of the real
 * tokens or session ids the BFF's store held may appear anywhere browser JavaScript can read or the user can
 * see: localStorage, sessionStorage, IndexedDB (of every origin the journey visited), `document.cookie`,
 * any cookie's value, the page's own enumerable `window` properties that a blank frame lacks, the page's
 * HTML, every URL the pages visited or requested, every request body, every response body of the shop's
 * origin, and every payload of the shell's event bus.
 */

/** One thing that looks like a credential, and where it was. */
export interface Leak {
  /** `localStorage`, `window.foo`, `url`, `event auth:logged-in`… */
  readonly where: string;
  /** `a JWT` or `the access token of session 3f2a…`: never the secret itself. */
  readonly what: string;
}

/** A secret the scan looks for: a real token or session id, and a name for reports. */
export interface Secret {
  readonly value: string;
  readonly name: string;
}

/** Where `text` holds a credential: a JWT (`findJwts`) or one of `secrets` (whole, or its first 24 characters). */
export function findLeaks(where: string, text: string, secrets: readonly Secret[]): Leak[] {
  const leaks: Leak[] = [];
  if (findJwts(text).length) leaks.push({ where, what: 'a JWT (eyJ….…)' });
  for (const secret of secrets)
    if (text.includes(secret.value.slice(0, 24))) leaks.push({ where, what: secret.name });
  return leaks;
}

/**
 * The one place the BFF lets an ID token reach the browser: the `id_token_hint` field of its sign-out page
 * (`GET /auth/logout/end`), which that page posts to the issuer's end-session endpoint, once, after the
 * session has ended. In those two bodies, a hint that is an ID token issued to the BFF's client is cut out
 * before the scan; anything else (an access token there, a JWT in another field, any other page) is still
 * a leak.
 */
export function withoutLogoutHint(url: string, body: string, clientId = 'gatehouse-bff'): string {
  const path = URL.parse(url)?.pathname ?? '';
  if (path !== '/auth/logout/end' && path !== '/session/end') return body;
  return body.replace(
    /(id_token_hint"? value="|id_token_hint=)([\w.-]+)/g,
    (whole, field: string, token: string) => {
      const [, payload] = token.split('.');
      try {
        const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<
          string,
          unknown
        >;
        const idToken = claims.aud === clientId && typeof claims.nonce === 'string' && !('scope' in claims);
        return idToken ? `${field}[the ended session's ID token]` : whole;
      } catch {
        return whole;
      }
    },
  );
}

/** What the page's JavaScript can read, gathered in the page (plain JavaScript: it runs in Chromium). */
const IN_PAGE = `async () => {
  const safe = (value) => {
    const seen = new WeakSet();
    const walk = (v, depth) => {
      if (typeof v === 'string') return v;
      if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return String(v);
      if (typeof v === 'function') return '[function]';
      if (v.window === v) return '[window]';
      if (typeof Node !== 'undefined' && v instanceof Node) return '[node]';
      if (seen.has(v) || depth > 5) return '[seen]';
      seen.add(v);
      const out = {};
      let n = 0;
      for (const key of Object.keys(v)) {
        if (n++ > 500) break;
        try { out[key] = walk(v[key], depth + 1); } catch { out[key] = '[throws]'; }
      }
      return out;
    };
    try { return JSON.stringify(walk(value, 0)); } catch (error) { return '[unserializable ' + error + ']'; }
  };
  const entries = (storage) => {
    const out = [];
    for (let i = 0; i < storage.length; i++) { const key = storage.key(i); out.push([key, storage.getItem(key)]); }
    return out;
  };
  const request = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  const out = { url: location.href, origin: location.origin, cookie: '', local: [], session: [], idb: [], window: [], html: '' };
  try { out.cookie = document.cookie; } catch {}
  try { out.local = entries(localStorage); } catch {}
  try { out.session = entries(sessionStorage); } catch {}
  try {
    for (const info of await indexedDB.databases()) {
      const db = await request(indexedDB.open(info.name));
      for (const store of db.objectStoreNames)
        out.idb.push([info.name + '/' + store, safe(await request(db.transaction(store).objectStore(store).getAll()))]);
      db.close();
    }
  } catch (error) { out.idb.push(['(error)', String(error)]); }
  try {
    const frame = document.createElement('iframe');
    frame.style.display = 'none';
    (document.body ?? document.documentElement).append(frame);
    const blank = new Set(Object.keys(frame.contentWindow));
    frame.remove();
    for (const key of Object.keys(window)) if (!blank.has(key)) out.window.push([key, safe(window[key])]);
  } catch (error) { out.window.push(['(error)', String(error)]); }
  out.html = document.documentElement.outerHTML;
  return out;
}`;

/** What one page exposed to its own JavaScript. */
export interface PageDump {
  readonly url: string;
  readonly origin: string;
  readonly cookie: string;
  readonly local: [string, string][];
  readonly session: [string, string][];
  readonly idb: [string, string][];
  readonly window: [string, string][];
  readonly html: string;
}

/** Reads a page's storage, cookies, extra `window` properties and HTML (retrying while it navigates). */
export async function dumpPage(page: Page): Promise<PageDump> {
  for (let attempt = 0; ; attempt++) {
    try {
      await page.waitForLoadState('load');
      return (await page.evaluate(`(${IN_PAGE})()`)) as PageDump;
    } catch (error) {
      // "Execution context was destroyed": the page navigated meanwhile; read the next document.
      if (attempt >= 5 || page.isClosed()) throw error;
    }
  }
}

/** The window properties the test itself adds (its init script and binding): not the shop's. */
export const TEST_GLOBALS = new Set(['gatehouseTestHook', 'gatehouseTestEvent']);

/** Everything a journey recorded outside the pages: URLs, bodies, bus events. */
export interface JourneyRecord {
  readonly urls: readonly string[];
  readonly requestBodies: readonly { url: string; body: string }[];
  readonly responseBodies: readonly { url: string; body: string }[];
  readonly events: readonly { type: string; payload: string }[];
}

/** The scan's findings, and how much it looked at (so an empty scan cannot pass unnoticed). */
export interface ScanResult {
  readonly leaks: Leak[];
  readonly pages: number;
  readonly surfaces: Record<string, number>;
  /** Keys found in the shop origin's localStorage, sessionStorage and IndexedDB (it writes none). */
  readonly shopStorage: string[];
}

/**
 * Scans a journey's browser context: every open page, the storage of every origin it visited (Playwright's
 * `storageState` with IndexedDB), every cookie, and what the journey recorded.
 */
export async function scanContext(
  context: BrowserContext,
  record: JourneyRecord,
  secrets: readonly Secret[],
  shopOrigin: string,
): Promise<ScanResult> {
  const leaks: Leak[] = [];
  const surfaces: Record<string, number> = {};
  const shopStorage: string[] = [];
  const scan = (surface: string, where: string, text: string) => {
    surfaces[surface] = (surfaces[surface] ?? 0) + 1;
    leaks.push(...findLeaks(where, text, secrets));
  };
  const pages = context.pages().filter((page) => !page.isClosed() && page.url() !== 'about:blank');
  for (const page of pages) {
    const dump = await dumpPage(page);
    const at = `${dump.url}: `;
    scan('document.cookie', `${at}document.cookie`, dump.cookie);
    for (const [key, value] of dump.local)
      scan('localStorage', `${at}localStorage ${key}`, `${key}=${value}`);
    for (const [key, value] of dump.session)
      scan('sessionStorage', `${at}sessionStorage ${key}`, `${key}=${value}`);
    for (const [key, value] of dump.idb) scan('IndexedDB', `${at}IndexedDB ${key}`, value);
    for (const [key, value] of dump.window)
      if (!TEST_GLOBALS.has(key)) scan('window', `${at}window.${key}`, `${key}=${value}`);
    scan('html', `${at}HTML`, dump.html);
    if (dump.origin === shopOrigin)
      shopStorage.push(
        ...dump.local.map(([key]) => `localStorage ${key}`),
        ...dump.session.map(([key]) => `sessionStorage ${key}`),
        ...dump.idb.map(([key]) => `IndexedDB ${key}`),
      );
  }
  const state = await context.storageState({ indexedDB: true });
  for (const origin of state.origins) {
    for (const { name, value } of origin.localStorage)
      scan('localStorage', `${origin.origin} localStorage ${name}`, `${name}=${value}`);
    // Playwright's types omit `indexedDB`, which `storageState({ indexedDB: true })` adds.
    for (const db of (origin as { indexedDB?: unknown[] }).indexedDB ?? [])
      scan('IndexedDB', `${origin.origin} IndexedDB (storage state)`, JSON.stringify(db));
  }
  // Every cookie, HttpOnly ones included: none may carry a token (the session cookie holds an opaque id).
  for (const cookie of state.cookies)
    leaks.push(
      ...findLeaks(
        `cookie ${cookie.name} (${cookie.domain})`,
        cookie.value,
        secrets.filter((s) => !s.name.startsWith('session id')),
      ),
    );
  surfaces.cookies = state.cookies.length;
  for (const url of record.urls) scan('urls', `url ${url.slice(0, 120)}`, url);
  for (const { url, body } of record.requestBodies)
    scan('request bodies', `request body of ${url}`, withoutLogoutHint(url, body));
  for (const { url, body } of record.responseBodies)
    scan('response bodies', `response of ${url}`, withoutLogoutHint(url, body));
  for (const { type, payload } of record.events) scan('events', `event ${type}`, payload);
  return { leaks, pages: pages.length, surfaces, shopStorage };
}
