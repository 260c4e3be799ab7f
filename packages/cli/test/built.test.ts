import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { bffClient, createDevIdp } from '@gatehouse/dev-idp';
import { API_HEADERS, describeWith, freePort, redisUrl, signIn, TestBrowser } from '@gatehouse/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = `${root}packages/cli/dist/bin.js`;

/** The built command, as `npm start` and `npx gatehouse` run it. Builds first (incremental). */
beforeAll(() => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
}, 240_000);

interface Running {
  readonly child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    waitFor: async (pattern, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`not seen ${pattern}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async (signal = 'SIGINT') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

async function signInAt(bffUrl: string, user: string): Promise<TestBrowser> {
  const browser = new TestBrowser();
  await signIn(browser, bffUrl, user);
  return browser;
}

describe('gatehouse demo (what npm start runs)', () => {
  it('starts the dev IdP, the sample API and the BFF, serves a real sign-in, and stops cleanly on Ctrl-C', async () => {
    const [bffPort, idpPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const demo = run([
      'demo',
      '--bff-port',
      String(bffPort),
      '--idp-port',
      String(idpPort),
      '--api-port',
      String(apiPort),
    ]);
    try {
      await demo.waitFor(/Gatehouse demo is ready/);
      expect(demo.output()).toMatch(/alice +customer/);
      const bffUrl = `http://localhost:${bffPort}`;
      const browser = await signInAt(bffUrl, 'alice');
      const me = await browser.get(`${bffUrl}/api/sample/me`, API_HEADERS);
      expect(me.status).toBe(200);
      expect(me.json()).toMatchObject({ id: 'user_alice', roles: ['customer'] });
      const other = await browser.get(`${bffUrl}/api/sample/orders/order_456`, API_HEADERS);
      expect(other.status).toBe(403);
    } finally {
      expect(await demo.stop('SIGINT')).toBe(0);
    }
  });
});

await describeWith(['redis'], 'gatehouse serve with GATEHOUSE_WORKERS=2 on Redis', () => {
  const prefix = `gh-test-${randomBytes(4).toString('hex')}:`;
  afterAll(async () => {
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('runs two workers on one port sharing sessions, and stops them all on SIGTERM', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const bffUrl = `http://localhost:${port}`;
    const idp = await createDevIdp({ port: 0, clients: [bffClient({ baseUrl: bffUrl })] });
    const serve = run(['serve'], {
      GATEHOUSE_ISSUER: idp.issuer,
      GATEHOUSE_PUBLIC_URL: bffUrl,
      GATEHOUSE_UPSTREAMS: `idp=${idp.url};public`,
      GATEHOUSE_SESSION_SECRET: 'worker-test-session-secret-with-32-chars',
      GATEHOUSE_WORKERS: '2',
      REDIS_URL: redisUrl,
      GATEHOUSE_LOG_LEVEL: 'info',
      GATEHOUSE_REDIS_KEY_PREFIX: prefix,
      GATEHOUSE_METRICS_PORT: String(metricsPort),
    });
    try {
      await serve.waitFor(/"event":"listening"[\s\S]*"event":"listening"/);
      const pids = new Set(
        [...serve.output().matchAll(/"event":"listening"[^}]*"pid":(\d+)/g)].map((match) => match[1]),
      );
      expect(pids.size).toBe(2);
      const browser = await signInAt(bffUrl, 'bob');
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => browser.get(`${bffUrl}/auth/session`, API_HEADERS)),
      );
      for (const answer of answers)
        expect(answer.json()).toMatchObject({ isAuthenticated: true, user: { id: 'user_bob' } });
    } finally {
      expect(await serve.stop('SIGTERM')).toBe(0);
      await idp.close();
    }
  });
});
