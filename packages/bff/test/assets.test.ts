import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_HEADERS, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../src/index.js';
import { SECRET, type Stack, signIn, startStack } from './support/stack.js';

const root = mkdtempSync(join(tmpdir(), 'gatehouse-assets-'));
for (const name of ['shell', 'admin', 'org', 'staff']) mkdirSync(join(root, name));
writeFileSync(join(root, 'shell', 'shell.js'), 'export const shell = 1;\n');
writeFileSync(join(root, 'shell', 'style.css'), 'body{}\n');
writeFileSync(join(root, 'admin', 'entry.js'), 'export const admin = "secret admin code";\n');
writeFileSync(join(root, 'org', 'entry.js'), 'export const org = 1;\n');
writeFileSync(join(root, 'staff', 'entry.js'), 'export const staff = 1;\n');
writeFileSync(join(root, 'outside.js'), 'export const leaked = 1;\n');

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    bff: {
      assets: [
        { prefix: '/shell/', dir: join(root, 'shell'), access: 'public' },
        { prefix: '/remotes/admin/', dir: join(root, 'admin'), access: 'required', roles: ['admin'] },
        { prefix: '/remotes/org/', dir: join(root, 'org'), access: 'required', tenantMember: true },
        {
          prefix: '/remotes/staff/',
          dir: join(root, 'staff'),
          access: 'required',
          permissions: ['orders:view_any'],
        },
      ],
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

const fetchAs = async (browser: TestBrowser, path: string) =>
  browser.get(`${stack.bffUrl}${path}`, { ...API_HEADERS, accept: '*/*', 'sec-fetch-dest': 'script' });

describe('assets the BFF serves itself', () => {
  it('serves public files to anyone, with a JavaScript type, nosniff and revalidation', async () => {
    const answer = await fetchAs(new TestBrowser(), '/shell/shell.js');
    expect(answer.status).toBe(200);
    expect(answer.header('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(answer.header('x-content-type-options')).toBe('nosniff');
    expect(answer.header('cache-control')).toBe('public, no-cache');
    expect(answer.header('etag')).toBeTruthy();
    expect((await fetchAs(new TestBrowser(), '/shell/style.css')).header('content-type')).toMatch(
      /^text\/css/,
    );
  });

  it('serves a sensitive remote only to sessions its rule allows: 401 anonymous, 403 others, 200 allowed', async () => {
    expect((await fetchAs(new TestBrowser(), '/remotes/admin/entry.js')).status).toBe(401);
    const alice = new TestBrowser();
    await signIn(alice, stack, 'alice');
    const refused = await fetchAs(alice, '/remotes/admin/entry.js');
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain('secret admin code');
    expect(refused.json()).toMatchObject({ code: 'forbidden' });
    expect((await fetchAs(alice, '/remotes/org/entry.js')).status).toBe(403);
    const erin = new TestBrowser();
    await signIn(erin, stack, 'erin');
    const admin = await fetchAs(erin, '/remotes/admin/entry.js');
    expect(admin.status).toBe(200);
    expect(admin.text).toContain('secret admin code');
    expect(admin.header('cache-control')).toBe('private, no-cache');
    expect(admin.header('vary')).toMatch(/Cookie/i);
    expect((await fetchAs(erin, '/remotes/org/entry.js')).status).toBe(200);
    expect((await fetchAs(erin, '/remotes/staff/entry.js')).status).toBe(403);
    const carol = new TestBrowser();
    await signIn(carol, stack, 'carol');
    expect((await fetchAs(carol, '/remotes/staff/entry.js')).status).toBe(200);
  });

  it('never serves a file outside its directory, a dotfile or a directory listing; unknown files are 404 problem+json', async () => {
    for (const path of [
      '/shell/../outside.js',
      '/shell/%2e%2e/outside.js',
      '/shell/..%2foutside.js',
      '/shell/',
      '/shell/.env',
      '/shell/nope.js',
    ]) {
      const answer = await fetchAs(new TestBrowser(), path);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.text).not.toContain('leaked');
    }
    const missing = await fetchAs(new TestBrowser(), '/shell/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.header('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('refuses assets that would hide the BFF’s endpoints, missing directories, and rules on public assets', () => {
    try {
      resolveConfig({
        sessionSecrets: [SECRET],
        assets: [
          { prefix: '/api/', dir: root },
          { prefix: '/x/', dir: '/nonexistent/dir' },
          { prefix: '/y/', dir: root, access: 'public', roles: ['admin'] },
        ],
      });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/assets\.0\.prefix/);
      expect(problems).toMatch(/assets\.1\.dir/);
      expect(problems).toMatch(/assets\.2: roles/);
    }
  });
});
