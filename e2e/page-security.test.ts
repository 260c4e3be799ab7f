import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createBffServer, createLogger, identityScript, resolveConfig } from '@gatehouse/bff';
import { describeWith, freePort, launchChromium } from '@gatehouse/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

/** Every log line the BFF wrote. */
class Lines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
}

/**
 * docs/security-requirements.md#h42, #h45, #h46, #h47 in the real Chromium, on the BFF's HTML answers: the nonce-based CSP blocks an
 * injected script and changes per load, Trusted Types make a string assigned to innerHTML throw, an enforced
 * Integrity-Policy blocks a script without integrity (and the report-only one lets it run and reports it).
 */
await describeWith(['chromium'], 'BFF page security headers in Chromium', () => {
  let browser: Browser;
  const servers: Array<{ url: string; logs: Lines; close: () => Promise<void> }> = [];
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-page-'));
  writeFileSync(join(dir, 'plain.js'), 'window.plainRan = true;\n');

  async function start(integrityPolicy: 'report-only' | 'enforce') {
    const port = await freePort();
    const logs = new Lines();
    const config = resolveConfig({
      publicUrl: `http://localhost:${port}`,
      issuer: 'http://127.0.0.1:9',
      sessionSecrets: ['page-security-session-secret-of-32-chars'],
      assets: [{ prefix: '/static/', dir }],
      integrityPolicy,
      logLevel: 'info',
    });
    const bff = await (
      await createBffServer({
        config,
        logger: createLogger('info', logs),
        renderPage: ({ identity, nonce }) => `<!doctype html><html><head>${identityScript(identity)}
<script nonce="${nonce}">window.nonceSeen = ${JSON.stringify(nonce)};
window.ttError = (() => { try { document.createElement('div').innerHTML = '<b>x</b>'; return 'assigned'; } catch (e) { return e.name; } })();</script>
<script nonce="${nonce}" src="/static/plain.js"></script></head>
<body><div id="injected"></div><script>window.injectedRan = true;</script></body></html>`,
      })
    ).listen();
    const entry = { url: `http://localhost:${port}`, logs, close: () => bff.close() };
    servers.push(entry);
    return entry;
  }

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.close();
  });

  it('H42/H46: an injected script never runs, the nonce changes per load, and innerHTML with a string throws', async () => {
    const { url } = await start('report-only');
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => violations.push(message.text()));
    await page.goto(`${url}/`);
    const first = await page.evaluate(() => ({
      injected: (window as unknown as Record<string, unknown>).injectedRan ?? false,
      nonce: (window as unknown as Record<string, unknown>).nonceSeen,
      tt: (window as unknown as Record<string, unknown>).ttError,
    }));
    expect(first.injected).toBe(false);
    expect(first.tt).toBe('TypeError');
    await page.reload();
    const second = await page.evaluate(() => (window as unknown as Record<string, unknown>).nonceSeen);
    expect(typeof first.nonce).toBe('string');
    expect(Buffer.from(String(first.nonce), 'base64').length).toBeGreaterThanOrEqual(16);
    expect(second).not.toBe(first.nonce);
    expect(violations.join('\n')).toMatch(/Content Security Policy/);
    await page.close();
  });

  it('H45: report-only lets a script without integrity run; enforce blocks it', async () => {
    const reportOnly = await start('report-only');
    const enforced = await start('enforce');
    const page = await browser.newPage();
    await page.goto(`${reportOnly.url}/`);
    expect(await page.evaluate(() => (window as unknown as Record<string, unknown>).plainRan ?? false)).toBe(
      true,
    );
    await page.goto(`${enforced.url}/`);
    expect(await page.evaluate(() => (window as unknown as Record<string, unknown>).plainRan ?? false)).toBe(
      false,
    );
    await page.close();
  });

  it('reports posted by the browser are logged without their query strings', async () => {
    const { url, logs } = await start('report-only');
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    const status = await page.evaluate(async () => {
      const body = JSON.stringify([
        {
          type: 'csp-violation',
          url: `${location.origin}/orders?email=a@b.example`,
          body: { blockedURL: 'inline', effectiveDirective: 'script-src-elem', disposition: 'enforce' },
        },
      ]);
      return (
        await fetch('/reports', {
          method: 'POST',
          headers: { 'content-type': 'application/reports+json' },
          body,
        })
      ).status;
    });
    expect(status).toBe(204);
    const report = logs.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.event === 'security_report');
    expect(report).toMatchObject({
      type: 'csp-violation',
      directive: 'script-src-elem',
      url: `${url}/orders`,
    });
    expect(JSON.stringify(report)).not.toMatch(/email/);
    await page.close();
  });
});
