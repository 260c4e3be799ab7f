import { createBffServer, createLogger, resolveConfig } from '@gatehouse/bff';
import { createSampleApi, demoPage } from '@gatehouse/cli';
import { bffClient, createDevIdp } from '@gatehouse/dev-idp';
import { describeWith, findJwts, freePort, launchChromium } from '@gatehouse/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

/**
 * The runnable slice of issue 2 in the real Chromium: dev IdP, sample API and BFF on free ports; a person's
 * journey from a protected deep link through the IdP's login form, an API call, and logout at the IdP.
 */
await describeWith(['chromium'], 'BFF slice in Chromium', () => {
  let browser: Browser;
  let bffUrl: string;
  const stops: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    const port = await freePort();
    bffUrl = `http://localhost:${port}`;
    const idp = await createDevIdp({ port: 0, clients: [bffClient({ baseUrl: bffUrl })] });
    stops.push(() => idp.close());
    const api = await createSampleApi({ issuer: idp.issuer });
    await api.listen({ port: 0, host: '127.0.0.1' });
    stops.push(() => api.close());
    const apiPort = (api.server.address() as { port: number }).port;
    const config = resolveConfig({
      publicUrl: bffUrl,
      issuer: idp.issuer,
      resource: 'urn:gatehouse:shop',
      sessionSecrets: ['e2e-session-secret-with-32-characters!'],
      upstreams: { sample: { url: `http://127.0.0.1:${apiPort}` } },
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

  it('deep link → IdP login → back to the route; API through the BFF; no token in the page; logout at the IdP', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();

    await page.goto(`${bffUrl}/account/orders?tab=open`);
    await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    await page.fill('input[name="login"]', 'alice');
    await page.fill('input[name="password"]', 'alice');
    await page.click('button[type="submit"]');
    await page.waitForURL(`${bffUrl}/account/orders?tab=open`);
    await expect.poll(() => page.textContent('h1')).toBe('Hello, Alice');

    // The session cookie exists but JavaScript cannot see it (docs/security-requirements.md#a1).
    const cookies = await context.cookies(bffUrl);
    const session = cookies.find((cookie) => cookie.name === '__Host-Http-gatehouse');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('__Host-Http-gatehouse');

    // The page calls the API through the BFF with the real browser's Fetch Metadata.
    await page.click('#me');
    await expect.poll(() => page.textContent('#out')).toMatch(/^200 /);
    expect(await page.textContent('#out')).toContain('user_alice');
    await page.click('#own');
    await expect.poll(() => page.textContent('#out')).toMatch(/^200 [\s\S]*order_123/);

    // No token anywhere a script could read it (docs/security-requirements.md#a10, #c19).
    const exposed = await page.evaluate(async () => {
      const databases = 'databases' in indexedDB ? await indexedDB.databases() : [];
      return JSON.stringify({
        local: { ...localStorage },
        session: { ...sessionStorage },
        databases,
        html: document.documentElement.outerHTML,
        // Globals the page added, compared with a blank frame's window.
        globals: (() => {
          const frame = document.createElement('iframe');
          document.body.append(frame);
          const clean = new Set(Object.keys(frame.contentWindow ?? {}));
          frame.remove();
          return Object.keys(window).filter((key) => !clean.has(key) && /token|auth|session|user/i.test(key));
        })(),
      });
    });
    expect(findJwts(exposed)).toEqual([]);
    expect(JSON.parse(exposed).globals).toEqual([]);

    // Logout: the BFF ends the session and sends Clear-Site-Data, then the IdP's end-session page. Cookies
    // ignore ports, so on localhost Clear-Site-Data also drops the IdP's cookie and the IdP may skip its
    // confirmation; with the IdP on another site it asks, and the user confirms.
    await page.click('#logout');
    await page.waitForURL((url) => url.pathname.startsWith('/session/end') || url.href === `${bffUrl}/`);
    if (page.url().includes('/session/end') && (await page.locator('button[value="yes"]').count()) > 0) {
      await page.click('button[value="yes"]');
    }
    await page.waitForURL(`${bffUrl}/`);
    await expect.poll(() => page.textContent('h1')).toBe('Gatehouse demo');
    const status = await page.evaluate(
      async () => (await fetch('/api/sample/me', { headers: { 'x-csrf': '1' } })).status,
    );
    expect(status).toBe(401);
    await context.close();
  });
});
