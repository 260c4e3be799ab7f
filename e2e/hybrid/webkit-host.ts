import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HOST = fileURLToPath(new URL('../../examples/shop/hybrid/gjs/host.js', import.meta.url));

/** One JSON line the host printed. */
export type HostEvent = Record<string, unknown> & { readonly event: string };

/** The reference WebKitGTK host (examples/shop/hybrid/gjs/host.js), running under `xvfb-run`. */
export interface WebKitHost {
  /** What the host and its page wrote that is not an event (stderr, the page's console). */
  readonly output: string[];
  /** Every event so far, in order. */
  readonly events: HostEvent[];
  /** Waits for the first event from now on (or already seen after `since`) that matches. */
  waitFor(match: (event: HostEvent) => boolean, since?: number, timeoutMs?: number): Promise<HostEvent>;
  /** Runs `body` (an async function's body) in the WebView's page, main world; answers its JSON value. */
  evaluate<T = unknown>(body: string, timeoutMs?: number): Promise<T>;
  /** The WebView's own cookie jar, as `name=value`. */
  cookies(): Promise<string[]>;
  close(): Promise<void>;
}

/** Bundles the host with its platform-free core and the contract they import into one module GJS runs. */
async function bundleHost(dir: string): Promise<string> {
  const outfile = join(dir, 'host.bundle.js');
  await build({
    entryPoints: [HOST],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['gatehouse-source'],
    external: ['gi://*'],
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

/** Starts the host against `bffUrl`; answers once it is ready (its window shown, its local origin up). */
export async function startWebKitHost(bffUrl: string, env: Record<string, string> = {}): Promise<WebKitHost> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-host-'));
  const bundle = await bundleHost(dir);
  const child: ChildProcess = spawn('xvfb-run', ['-a', 'gjs', '-m', bundle], {
    env: {
      ...process.env,
      GATEHOUSE_BFF_URL: bffUrl,
      GATEHOUSE_HOST_BROWSER: 'stdout',
      DBUS_SESSION_BUS_ADDRESS: '',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: closing ends xvfb-run, Xvfb and gjs together, and nothing else.
    detached: true,
  });
  const events: HostEvent[] = [];
  const listeners = new Set<() => void>();
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) {
      stderr.push(`${line}\n`);
      return;
    }
    try {
      events.push(JSON.parse(line) as HostEvent);
    } catch {
      return;
    }
    for (const listener of [...listeners]) listener();
  });
  const waitFor: WebKitHost['waitFor'] = (match, since = events.length, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = events.slice(since).find(match);
        if (!found) return false;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(
          new Error(`the host did not say it in ${timeoutMs} ms; stderr: ${stderr.join('').slice(-1500)}`),
        );
      }, timeoutMs);
      if (!check()) listeners.add(check);
    });
  let ids = 0;
  const command = async (fields: Record<string, unknown>, timeoutMs = 30_000) => {
    const id = ++ids;
    const since = events.length;
    child.stdin?.write(`${JSON.stringify({ id, ...fields })}\n`);
    return waitFor((event) => event.event === 'result' && event.id === id, since, timeoutMs);
  };
  await waitFor((event) => event.event === 'ready', 0, 60_000);
  return {
    events,
    output: stderr,
    waitFor,
    async evaluate<T>(body: string, timeoutMs?: number) {
      const result = await command({ eval: body }, timeoutMs);
      if (typeof result.error === 'string') throw new Error(`in the WebView: ${result.error}`);
      return result.value as T;
    },
    async cookies() {
      return (await command({ cookies: true })).cookies as string[];
    },
    async close() {
      child.stdin?.write(`${JSON.stringify({ id: 0, quit: true })}\n`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          if (child.pid) process.kill(-child.pid, 'SIGTERM');
          resolve();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
