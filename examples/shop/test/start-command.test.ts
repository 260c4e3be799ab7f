import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NAVIGATION_HEADERS, TestBrowser } from '@gatehouse/testing';
import { describe, expect, it } from 'vitest';
import { remoteNames } from '../src/web/build/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** `npm start`'s command line, from the root package.json, with this Node.js. */
function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: { start: string } };
  const [node, ...args] = pkg.scripts.start.split(' ');
  expect(node).toBe('node');
  return args;
}

describe('npm start (examples/shop/src/start.ts from the sources)', () => {
  it('says what it does, serves the shop and the IdP, and stops everything on Ctrl-C', async () => {
    // Not the repository's own `.data/shop`: a folder to make, as on a first start; free ports.
    const parent = mkdtempSync(join(tmpdir(), 'gh-shop-start-'));
    const dataDir = join(parent, 'shop');
    const args = [...startCommand(), '--data-dir', dataDir];
    for (const flag of ['--bff-port', '--idp-port', '--remotes-port', '--api-port']) args.push(flag, '0');
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      for (const deadline = Date.now() + 150_000; !/Press Ctrl-C to stop/.test(output); ) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`not ready:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Each step that can take time is announced, then timed.
      expect(output).toMatch(/^Starting the Gatehouse shop from its TypeScript sources/m);
      expect(output).toMatch(/^ {2}code loaded \(\d+\.\d s\)$/m);
      expect(output).toMatch(
        new RegExp(
          `^ {2}web: the shell and ${remoteNames().length} remotes are ready, pinned by integrity and signed`,
          'm',
        ),
      );
      expect(output).toMatch(
        /^ {2}creating the database: PGlite in .*gh-shop-start-.*\/shop \(the first start/m,
      );
      expect(output).toMatch(/^ {2}database created \(\d+\.\d s\)$/m);
      expect(output).toMatch(/^ {2}database ready \(\d+\.\d s\)$/m);
      // Made under a temporary name, then renamed whole.
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
      expect(readdirSync(parent)).toEqual(['shop']);
      expect(output).toMatch(/^ {2}all listening \(\d+\.\d s\)$/m);
      expect(output).toMatch(/^Gatehouse shop is ready \(\d+\.\d s after the start\)/m);
      const shop = /^ {2}Shop +(http:\/\/localhost:\d+)$/m.exec(output)![1]!;
      const idp = /^ {2}Identity provider +(http:\/\/localhost:\d+)/m.exec(output)![1]!;
      const page = await new TestBrowser().get(`${shop}/`, NAVIGATION_HEADERS);
      expect(page.status).toBe(200);
      expect(page.text).toMatch(/<script[^>]+integrity="sha384-/);
      expect((await fetch(`${idp}/.well-known/openid-configuration`)).status).toBe(200);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(output).toMatch(/Stopping…\nStopped\. Shop data is saved\.\n/);
      await expect(fetch(`${shop}/`)).rejects.toThrow();
      await expect(fetch(`${idp}/.well-known/openid-configuration`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(parent, { recursive: true, force: true });
    }
  }, 180_000);
});
