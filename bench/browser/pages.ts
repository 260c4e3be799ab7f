// Playwright helpers of the Chromium figures: the BFF's session cookie as the browser stores it, opening a page
// until its remote is mounted, and waiting for a condition.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../lib/http.js';

/**
 * The BFF's session cookie as the browser would store it from the callback: host-only (no Domain), Secure
 * (Chromium keeps Secure cookies on http://localhost), HttpOnly, Lax.
 * @param header `__Host-Http-gatehouse=…`
 */
export function sessionCookie(header: string) {
  return {
    name: SESSION_COOKIE,
    value: header.slice(SESSION_COOKIE.length + 1),
    domain: 'localhost',
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'Lax' as const,
  };
}

/** Opens `url` in a new page of `context` and waits until the fixture page's remote is mounted. */
export async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.__bench?.mountedAt !== undefined, undefined, { timeout: 10_000 });
  return page;
}

/** Polls `check` every 10 ms until it answers something truthy, or throws after `timeoutMs`. */
export async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** A resource the page loaded, from Resource Timing. */
export interface LoadedResource {
  readonly name: string;
  /** ms since navigation start. */
  readonly start: number;
  readonly initiator: string;
}
