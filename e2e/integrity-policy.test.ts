import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createBffServer, createLogger, identityScript, resolveConfig } from '@gatehouse/bff';
import { describeWith, freePort, launchChromium } from '@gatehouse/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SHORT_REPORTING_DELAY } from './support/chromium.js';
import { type Certificate, httpsFront, selfSignedCertificate } from './support/https.js';

/** Every log line the BFF wrote. */
class Lines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
}

/** What the BFF logged for one browser report. */
interface SecurityReport {
  readonly type: string;
  readonly url?: string;
  readonly blocked?: string;
  readonly directive?: string;
  readonly disposition?: string;
}

type PageWindow = { importRemote(url: string): Promise<string>; evilRan?: boolean; plainRan?: boolean };

/**
 * docs/security-requirements.md#h43 and #h45 in the real Chromium, with the BFF's own page headers and the reports Chromium
 * sends by itself. Chromium's Reporting API delivers only to https endpoints (not to http://localhost), so
 * the BFF sits behind a TLS front (a self-signed certificate, ignored by the browser context), and
 * `--short-reporting-delay` makes delivery take about 100 ms instead of a minute.
 *
 * Under `'strict-dynamic'`, CSP ignores host lists: a script already running in the page (the shell, a
 * remote) may `import()` from any origin. The only browser-side block left for a module from an origin that
 * is not allow-listed is the enforced `Integrity-Policy` (the module carries no integrity).
 */
await describeWith(['chromium'], 'Integrity-Policy in Chromium, reported by Chromium itself', () => {
  let browser: Browser;
  let certificate: Certificate;
  const stops: Array<() => Promise<unknown>> = [];
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-integrity-'));
  writeFileSync(join(dir, 'plain.js'), 'window.plainRan = true;\n');
  /** The attacker's origin (another site): serves `x.js`, with CORS, and records every request. */
  const evil = { origin: '', requests: [] as string[] };

  /** The BFF with `integrityPolicy`, behind https on localhost; its `security_report` log lines. */
  async function start(integrityPolicy: 'report-only' | 'enforce') {
    const [port, tlsPort] = await Promise.all([freePort(), freePort()]);
    const url = `https://localhost:${tlsPort}`;
    const logs = new Lines();
    const config = resolveConfig({
      publicUrl: url,
      port,
      issuer: 'http://127.0.0.1:9',
      sessionSecrets: ['integrity-policy-session-secret-32-chars'],
      assets: [{ prefix: '/static/', dir }],
      integrityPolicy,
      logLevel: 'info',
    });
    // A script of the page's own (nonced, so CSP lets it and what it loads run) that imports whatever URL it
    // is given, as a remote loader without an allow-list would.
    const bff = await (
      await createBffServer({
        config,
        logger: createLogger('info', logs),
        renderPage: ({ identity, nonce }) => `<!doctype html><html><head>${identityScript(identity)}
<script nonce="${nonce}">window.importRemote = (url) => import(url).then(() => 'ran', (error) => error.name);</script>
<script nonce="${nonce}" src="/static/plain.js"></script></head><body></body></html>`,
      })
    ).listen();
    stops.push(() => bff.close());
    const front = await httpsFront(port, certificate, tlsPort);
    stops.push(() => front.close());
    const reports = () =>
      logs.lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.event === 'security_report') as unknown as SecurityReport[];
    return { url, reports };
  }

  const run = (page: Page, script: string) => page.evaluate(script) as Promise<unknown>;
  const importFromPage = (page: Page, url: string) =>
    page.evaluate((u) => (window as unknown as PageWindow).importRemote(u), url);
  const pageGlobal = (page: Page, name: 'evilRan' | 'plainRan') =>
    page.evaluate((key) => (window as unknown as PageWindow)[key] ?? false, name);

  beforeAll(async () => {
    certificate = selfSignedCertificate(['localhost']);
    browser = await launchChromium([SHORT_REPORTING_DELAY]);
    stops.push(() => browser.close());
    const server = createServer(certificate, (req, res) => {
      evil.requests.push(req.url ?? '');
      res.writeHead(200, {
        'content-type': 'text/javascript',
        'access-control-allow-origin': '*',
        'cache-control': 'no-store',
      });
      res.end('window.evilRan = true;\nexport const loaded = true;\n');
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    evil.origin = `https://127.0.0.1:${port}`;
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('H43: import() of a module from a foreign origin fails under the enforced Integrity-Policy, before any request; report-only lets it run and Chromium reports it', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const xjs = `${evil.origin}/x.js`;

    const enforced = await start('enforce');
    await page.goto(`${enforced.url}/`);
    // From the page's own script, and from code evaluated in the page (DevTools): refused both ways.
    expect(await importFromPage(page, `${xjs}?from=page`)).toBe('TypeError');
    expect(
      await run(page, `import(${JSON.stringify(`${xjs}?from=devtools`)}).then(() => 'ran', (e) => e.name)`),
    ).toBe('TypeError');
    expect(await pageGlobal(page, 'evilRan')).toBe(false);
    // Refused before the fetch: the foreign origin never even sees the request.
    expect(evil.requests).toEqual([]);
    await expect
      .poll(() => enforced.reports().find((report) => report.blocked === xjs), { timeout: 10_000 })
      .toMatchObject({ type: 'integrity-violation', directive: 'script', url: `${enforced.url}/` });

    // The same import under report-only (the default): what enforcing changes. The module is fetched and
    // runs, and Chromium reports it to the BFF, which logs it without its query string.
    const reportOnly = await start('report-only');
    await page.goto(`${reportOnly.url}/`);
    expect(await importFromPage(page, `${xjs}?from=page`)).toBe('ran');
    expect(await pageGlobal(page, 'evilRan')).toBe(true);
    expect(evil.requests).toEqual(['/x.js?from=page']);
    await expect
      .poll(() => reportOnly.reports().find((report) => report.blocked === xjs), { timeout: 10_000 })
      .toMatchObject({ type: 'integrity-violation', directive: 'script', url: `${reportOnly.url}/` });
    await context.close();
  });

  it('H45: a script without integrity is blocked under enforce, runs under report-only, and Chromium reports it to the BFF either way', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    for (const [mode, runs] of [
      ['enforce', false],
      ['report-only', true],
    ] as const) {
      const bff = await start(mode);
      await page.goto(`${bff.url}/`);
      expect(await pageGlobal(page, 'plainRan'), mode).toBe(runs);
      // Sent by Chromium on its own (no script of the test's posts it), received and logged by the BFF.
      await expect
        .poll(() => bff.reports().find((report) => report.blocked === `${bff.url}/static/plain.js`), {
          timeout: 10_000,
        })
        .toMatchObject({
          type: 'integrity-violation',
          directive: 'script',
          url: `${bff.url}/`,
          // Chromium says `reportOnly: true | false`; the log line says which.
          disposition: mode === 'enforce' ? 'enforce' : 'report',
        });
    }
    await context.close();
  });
});
