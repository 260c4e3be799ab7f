import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWith } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkAttempts, runOffline, sandboxMode } from '../src/index.js';

const fixture = fileURLToPath(new URL('./fixtures/phone-home-remote/', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'gatehouse-offline-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** A server on this machine's loopback that counts what reaches it: the build's "home". */
let home: Server;
let hits = 0;
let homeUrl = '';
beforeAll(async () => {
  home = createServer((_request, response) => {
    hits++;
    response.end('ok');
  });
  await new Promise<void>((resolve) => home.listen(0, '127.0.0.1', resolve));
  const address = home.address() as { port: number };
  homeUrl = `http://127.0.0.1:${address.port}/collect`;
});
afterAll(() => new Promise<void>((resolve) => home.close(() => resolve())));

const build = (name: string, env: Record<string, string>, sandbox?: 'none') =>
  runOffline({
    name,
    command: [process.execPath, join(fixture, 'build.mjs')],
    cwd: fixture,
    env: { OUT_FILE: join(out, `${name}.js`), ...env },
    output: () => {},
    log: () => {},
    ...(sandbox ? { sandbox } : {}),
  });

await describeWith(['netns'], 'gatehouse build-offline (a network namespace)', () => {
  it('builds a remote that needs no network, in a namespace', async () => {
    hits = 0;
    const result = await build('quiet', {});
    expect(result.sandbox).toMatch(/netns/);
    expect(readFileSync(join(out, 'quiet.js'), 'utf8')).toMatch(/built without network/);
  });

  it('fails a remote whose build plugin phones home, naming the remote and the host; nothing reaches it', async () => {
    hits = 0;
    const failure = build('phone-home', { PHONE_HOME: homeUrl });
    await expect(failure).rejects.toMatchObject({ code: 'GH_CLI_BUILD_NETWORK' });
    await expect(failure).rejects.toThrow(
      new RegExp(`phone-home: the build tried to reach 127\\.0\\.0\\.1:${new URL(homeUrl).port}`),
    );
    // The plugin caught its own error and the build went on: the attempt alone failed it, and the
    // request never left the namespace.
    expect(existsSync(join(out, 'phone-home.js'))).toBe(true);
    expect(hits).toBe(0);
  });

  it('names a host by name when the build looks one up (no DNS in the namespace)', async () => {
    await expect(build('telemetry', { PHONE_HOME: 'https://telemetry.example.com/v1/ping' })).rejects.toThrow(
      /telemetry: the build tried to reach telemetry\.example\.com \(https:\/\/telemetry\.example\.com\/v1\/ping\)/,
    );
  });
});

describe('gatehouse build-offline without a namespace', () => {
  it('warns that the network is not cut, and still fails a build that reaches out', async () => {
    hits = 0;
    const lines: string[] = [];
    const failure = runOffline({
      name: 'phone-home',
      command: [process.execPath, join(fixture, 'build.mjs')],
      env: { OUT_FILE: join(out, 'unsandboxed.js'), PHONE_HOME: homeUrl },
      sandbox: 'none',
      output: () => {},
      log: (line) => lines.push(line),
    });
    await expect(failure).rejects.toThrow(/phone-home: the build tried to reach .*here it was not cut/);
    expect(lines.join('\n')).toMatch(/WARNING: phone-home is built WITH network/);
    expect(hits).toBe(1);
  });

  it('reads the host from error output when the build is not Node (no preload)', () => {
    expect(
      networkAttempts(
        '',
        'curl: (6) Could not resolve host: cdn.example.net\nError: getaddrinfo EAI_AGAIN x.test',
      ),
    ).toEqual([
      { kind: 'output', host: 'x.test', target: 'x.test' },
      { kind: 'output', host: 'cdn.example.net', target: 'cdn.example.net' },
    ]);
  });

  it('reports the sandbox this machine offers', () => {
    expect(['netns', 'user-netns', 'none']).toContain(sandboxMode());
  });
});
