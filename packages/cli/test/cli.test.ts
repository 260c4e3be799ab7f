import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { bffClient, createDevIdp } from '@gatehouse/dev-idp';
import { API_HEADERS, freePort, readForm, TestBrowser } from '@gatehouse/testing';
import { describe, expect, it } from 'vitest';
import { main, serve } from '../src/index.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const run = async (argv: string[]) => {
  const io = { out: new Capture(), err: new Capture() };
  const code = await main(argv, io);
  return { code, out: io.out.text, err: io.err.text };
};

describe('gatehouse (command line)', () => {
  it('prints its usage', async () => {
    const { code, out } = await run(['help']);
    expect(code).toBe(0);
    expect(out).toMatch(/gatehouse <command>/);
    expect(out).toMatch(/serve/);
  });

  it('refuses an unknown command or flag with exit code 2 and a clear message', async () => {
    expect(await run(['launch'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/Unknown command "launch"/),
    });
    expect(await run(['serve', '--confg', 'x'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/confg/),
    });
    expect(await run(['dev-idp', '--port', 'abc'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--port/),
    });
  });

  it('refuses an unreadable or invalid configuration file, listing every problem', async () => {
    expect(await run(['serve', '--config', '/nonexistent/gatehouse.json'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/Cannot read/),
    });
    const file = join(tmpdir(), `gatehouse-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify({ publicUrl: 'nope', idleTimeout: -5, unknownOption: true }));
    const { code, err } = await run(['serve', '--config', file]);
    expect(code).toBe(2);
    expect(err).toMatch(/publicUrl/);
    expect(err).toMatch(/idleTimeout/);
    expect(err).toMatch(/unknownOption/);
  });

  it('serve runs the BFF from environment variables alone, in front of an issuer found by discovery', async () => {
    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    const idp = await createDevIdp({
      port: 0,
      clients: [bffClient({ baseUrl: publicUrl, clientId: 'shop', clientSecret: 'env-secret' })],
    });
    const server = await serve([], {
      GATEHOUSE_ISSUER: idp.issuer,
      GATEHOUSE_CLIENT_ID: 'shop',
      GATEHOUSE_CLIENT_SECRET: 'env-secret',
      GATEHOUSE_PUBLIC_URL: publicUrl,
      GATEHOUSE_UPSTREAMS: `sample=${idp.url};public`,
      GATEHOUSE_SESSION_SECRET: 'an-environment-session-secret-32-chars!',
      GATEHOUSE_IDLE_TIMEOUT: '600',
      GATEHOUSE_LOG_LEVEL: 'silent',
    });
    try {
      expect(server?.runtime.config.upstreams.sample?.access).toBe('public');
      const browser = new TestBrowser();
      const start = await browser.follow(`${publicUrl}/auth/login?returnTo=%2Fhere`);
      const form = readForm(start.response.text, start.response.url);
      const done = await browser.follow(
        form.action,
        { form: { ...form.fields, login: 'frank', password: 'frank' } },
        (url) => url.pathname === '/here',
      );
      expect(done.stoppedAt?.pathname).toBe('/here');
      const session = await browser.get(`${publicUrl}/auth/session`, API_HEADERS);
      expect(session.json()).toMatchObject({
        isAuthenticated: true,
        user: { id: 'user_frank', tenants: [{ id: 'globex' }] },
      });
    } finally {
      await server?.close();
      await idp.close();
    }
  });
});
