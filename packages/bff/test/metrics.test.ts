import { API_HEADERS, freePort, TestBrowser } from '@gatehouse/testing';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, type Stack, signIn, startStack } from './support/stack.js';

let stack: Stack;
let metricsUrl: string;
beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  stack = await startStack({
    ttl: { AccessToken: 3 },
    bff: (echo) => ({ metricsPort: port, refreshLeeway: 1, upstreams: { echo: { url: echo } } }),
  });
});
afterAll(async () => {
  await stack?.close();
});

const scrape = async () => (await request(metricsUrl)).body.text();
const value = (text: string, series: string) => {
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
};

describe('Prometheus metrics on their own port', () => {
  it('count logins, proxied requests by status, refreshes, denials and session ends — and leak no secret', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    await browser.get(`${stack.bffUrl}/api/echo/x?status=404`, API_HEADERS);
    await browser.get(`${stack.bffUrl}/api/echo/x`, { 'sec-fetch-site': 'cross-site' });
    await new TestBrowser().get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await browser.get(`${stack.bffUrl}/api/echo/after-refresh`, API_HEADERS);
    const secrets: string[] = [SECRET];
    for (const cookie of await browser.jar.getCookies(stack.bffUrl)) {
      if (!cookie.key.startsWith('__Host-Http-gatehouse')) continue;
      secrets.push(cookie.value);
      const record = await stack.bff.runtime.store.get(cookie.value.split('.')[0] ?? '');
      if (record) secrets.push(record.tokens.accessToken, record.tokens.refreshToken ?? 'none');
    }
    await browser.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: stack.bffUrl },
    });

    const text = await scrape();
    expect(value(text, 'gatehouse_logins_total{outcome="success"}')).toBe(1);
    expect(value(text, 'gatehouse_proxy_requests_total{upstream="echo",status="2xx"}')).toBe(2);
    expect(value(text, 'gatehouse_proxy_requests_total{upstream="echo",status="4xx"}')).toBe(1);
    expect(value(text, 'gatehouse_denials_total{code="csrf_failed"}')).toBe(1);
    expect(value(text, 'gatehouse_denials_total{code="unauthenticated"}')).toBe(1);
    expect(value(text, 'gatehouse_refreshes_total{outcome="success"}')).toBe(1);
    expect(value(text, 'gatehouse_refresh_duration_seconds_count')).toBe(1);
    expect(value(text, 'gatehouse_session_ends_total{reason="logout"}')).toBe(1);
    expect(value(text, 'gatehouse_proxy_duration_seconds_count{upstream="echo"}')).toBe(3);
    expect(text).toMatch(/^gatehouse_active_sessions \d+/m);
    expect(text).toMatch(/^gatehouse_process_cpu_user_seconds_total/m);
    for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    expect(text).not.toMatch(/user_alice|eyJ/);
  });

  it('are not served on the public port', async () => {
    const answer = await new TestBrowser().get(`${stack.bffUrl}/metrics`, API_HEADERS);
    expect(answer.status).toBe(404);
  });
});
