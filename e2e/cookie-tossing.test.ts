import { createServer } from 'node:https';
import { createBffServer, createLogger, resolveConfig } from '@gatehouse/bff';
import { bffClient, createDevIdp } from '@gatehouse/dev-idp';
import { describeWith, freePort, launchChromium } from '@gatehouse/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HttpsFront, httpsFront, selfSignedCertificate } from './support/https.js';

const COOKIE = '__Host-Http-gatehouse';

/**
 * docs/security-requirements.md#a2 in the real Chromium, with a real parent domain: the BFF at `app.gatehouse.test`, an
 * attacker's server at its sibling `evil.gatehouse.test` (`--host-resolver-rules` maps both to 127.0.0.1).
 * Both are https (a self-signed certificate, ignored by the browser context): `Secure` cookies, and so
 * `__Host-` ones, can be set over plain http only on localhost, and localhost has no sibling that may set
 * cookies for a shared parent domain.
 */
await describeWith(['chromium'], 'cookie tossing from a sibling subdomain in Chromium', () => {
  let browser: Browser;
  let bffUrl: string;
  let evilUrl: string;
  let bffPort: number;
  let front: HttpsFront;
  /** The attacker's own valid session cookie, which the sibling plants (set before the victim visits). */
  let attackerCookie = '';
  const stops: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    const certificate = selfSignedCertificate(['app.gatehouse.test', 'evil.gatehouse.test']);
    let tlsPort: number;
    let evilPort: number;
    [bffPort, tlsPort, evilPort] = await Promise.all([freePort(), freePort(), freePort()]);
    bffUrl = `https://app.gatehouse.test:${tlsPort}`;
    evilUrl = `https://evil.gatehouse.test:${evilPort}`;
    const idp = await createDevIdp({ port: 0, clients: [bffClient({ baseUrl: bffUrl })] });
    stops.push(() => idp.close());
    const config = resolveConfig({
      publicUrl: bffUrl,
      port: bffPort,
      issuer: idp.issuer,
      sessionSecrets: ['cookie-tossing-session-secret-32-chars!'],
    });
    const bff = await (await createBffServer({ config, logger: createLogger('silent') })).listen();
    stops.push(() => bff.close());
    front = await httpsFront(bffPort, certificate, tlsPort);
    stops.push(() => front.close());

    // The sibling tosses cookies for the whole site (Domain=gatehouse.test), as response headers: the
    // strongest way a subdomain can. The attacker's session cookie under the BFF's name (as is, in another
    // case, and on a longer path, which a browser would send first), the login binding, and two controls
    // that differ only in the name's prefix: nothing else stops them.
    const evil = createServer(certificate, (_req, res) => {
      const site = 'Domain=gatehouse.test; Secure; HttpOnly; SameSite=Lax';
      res.writeHead(200, {
        'content-type': 'text/html',
        'set-cookie': [
          `${COOKIE}=${attackerCookie}; Path=/; ${site}`,
          `${COOKIE.toLowerCase()}=${attackerCookie}; Path=/; ${site}`,
          `${COOKIE}=${attackerCookie}; Path=/auth; ${site}`,
          `${COOKIE}-login=tossed; Path=/; ${site}`,
          `toss=1; Path=/; ${site}`,
          `__Secure-gatehouse=${attackerCookie}; Path=/; ${site}`,
        ],
      });
      res.end('<!doctype html><p>tossed</p>');
    });
    await new Promise<void>((resolve) => evil.listen(evilPort, '127.0.0.1', resolve));
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          evil.closeAllConnections();
          evil.close(() => resolve());
        }),
    );
    browser = await launchChromium(['--host-resolver-rules=MAP *.gatehouse.test 127.0.0.1']);
    stops.push(() => browser.close());
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  /** A fresh browser signed in as `user` at the dev IdP: its tab on the BFF's page, its session cookie. */
  async function signIn(user: string): Promise<{ context: BrowserContext; page: Page; cookie: string }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${bffUrl}/auth/login?returnTo=%2F`);
    await page.fill('input[name="login"]', user);
    await page.fill('input[name="password"]', user);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${bffUrl}/`);
    const cookie = (await context.cookies(bffUrl)).find((c) => c.name === COOKIE)?.value;
    if (!cookie) throw new Error(`${user} has no session cookie`);
    return { context, page, cookie };
  }

  /** Who `GET /auth/session` says is signed in with this `Cookie` header, sent straight to the BFF. */
  const whoWith = async (cookie: string) =>
    (
      (await (await fetch(`http://127.0.0.1:${bffPort}/auth/session`, { headers: { cookie } })).json()) as {
        user?: { id: string };
      }
    ).user?.id;

  it("SECURITY A2: a sibling subdomain's tossed session cookie is refused by the browser; the victim stays herself", async () => {
    const attacker = await signIn('bob');
    attackerCookie = attacker.cookie;
    await attacker.context.close();
    const victim = await signIn('alice');

    const evilPage = await victim.context.newPage();
    await evilPage.goto(`${evilUrl}/`);
    await expect.poll(() => evilPage.textContent('body')).toContain('tossed');

    const sent = front.seen.length;
    const who = await victim.page.evaluate(
      async () => (await (await fetch('/auth/session')).json()) as { user?: { id: string } },
    );
    expect(who.user?.id).toBe('user_alice');
    const cookieHeader = front.seen.slice(sent).find((request) => request.path === '/auth/session')?.cookie;
    const pairs = (cookieHeader ?? '').split(/;\s*/).map((pair) => {
      const at = pair.indexOf('=');
      return { name: pair.slice(0, at), value: pair.slice(at + 1) };
    });
    const names = pairs.map((pair) => pair.name);
    // Tossing works here: the controls, set exactly like the refused ones but for the name, reach the BFF.
    expect(names).toContain('toss');
    expect(pairs).toContainEqual({ name: '__Secure-gatehouse', value: attackerCookie });
    // Every __Host- cookie the sibling set was refused: one session cookie, the victim's; the login binding
    // is the BFF's own, if any; nothing in another case.
    const hostPrefixed = pairs.filter((pair) => /^__host-/i.test(pair.name));
    expect(hostPrefixed.filter((pair) => pair.name.toLowerCase() === COOKIE.toLowerCase())).toEqual([
      { name: COOKIE, value: victim.cookie },
    ]);
    expect(hostPrefixed.map((pair) => pair.value)).not.toContain('tossed');
    expect(hostPrefixed.map((pair) => pair.value)).not.toContain(attackerCookie);
    const planted = (await victim.context.cookies()).filter((c) => c.domain.endsWith('gatehouse.test'));
    expect(planted.filter((c) => c.domain.startsWith('.')).map((c) => c.name)).toEqual(
      expect.arrayContaining(['toss', '__Secure-gatehouse']),
    );
    // The jar holds the BFF's own __Host- cookies, host-only, and none of the sibling's.
    const jarHost = planted.filter((c) => /^__host-/i.test(c.name));
    expect(jarHost.filter((c) => c.domain !== 'app.gatehouse.test' || c.path !== '/')).toEqual([]);
    expect(jarHost.filter((c) => c.name === COOKIE).map((c) => c.value)).toEqual([victim.cookie]);

    // Had one got through, the BFF reads its cookie by its exact name only: other cases are not sessions.
    expect(await whoWith(`${COOKIE.toLowerCase()}=${attackerCookie}`)).toBeUndefined();
    expect(await whoWith(`${COOKIE.toLowerCase()}=${attackerCookie}; ${COOKIE}=${victim.cookie}`)).toBe(
      'user_alice',
    );
    expect(await whoWith(`${COOKIE}=${victim.cookie}; ${COOKIE.toUpperCase()}=${attackerCookie}`)).toBe(
      'user_alice',
    );
    await victim.context.close();
  });
});
