// `npm run bench`'s Module Federation figures (issue 17), in the system Chromium: the time to the first mount of
// one MF container with @gatehouse/federation's guard plugin beside the same container with plain MF, in the
// same run, interleaved; and what the plugin adds to a shell's gzip size.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { freePort, launchChromium } from '@gatehouse/testing';
import { build } from 'esbuild';
import { bundleForBrowser } from '../browser/bundle.js';
import { benchPath } from '../lib/paths.js';
import { type Summary, summary } from '../lib/stats.js';
import type { NotMeasured, SuiteContext } from '../lib/suite.js';

/** BENCH_MF_LOADS. */
export interface FederationSettings {
  /** Page loads per variant. */
  readonly loads: number;
}

/** What the suite measured. */
export interface FederationResult {
  readonly settings: FederationSettings;
  readonly chromium: string;
  /** Time from navigation start to the first mount, ms. */
  readonly guarded: Summary;
  readonly plain: Summary;
  /** gzip bytes: createShell alone, and with the guard plugin and loader (the MF runtime external). */
  readonly shellGzip: number;
  readonly shellWithFederationGzip: number;
  readonly otherCores: number | undefined;
}

const sha384 = (bytes: string | Uint8Array) =>
  `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

// The container: an ES module with `init` and `get`, its exposed module in a chunk (the shape
// @module-federation/vite builds), the same bytes for both variants.
const CONTAINER =
  "export async function init() {}\nexport async function get() { const m = await import('./chunk.js'); return () => m; }\n";
const CHUNK =
  "export const remote = { mount(element) { element.textContent = 'mounted'; }, unmount(element) { element.textContent = ''; } };\n";

async function gzipOf(contents: string): Promise<number> {
  const result = await build({
    stdin: { contents, resolveDir: benchPath('federation'), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['gatehouse-source'],
    external: ['@module-federation/runtime'],
    write: false,
    logLevel: 'silent',
  });
  return gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length;
}

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; origin: string }> {
  const port = await freePort();
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${port}` };
}

/** Runs the Module Federation figures. */
export async function federationFigures(
  ctx: SuiteContext,
  settings: FederationSettings,
): Promise<FederationResult | NotMeasured> {
  const app = await bundleForBrowser(benchPath('federation/page/app.ts'));
  const files = new Map([
    ['/wishlist/remoteEntry.js', CONTAINER],
    ['/wishlist/chunk.js', CHUNK],
  ]);
  const cdn = await listen((req, res) => {
    const file = files.get(req.url ?? '');
    res.setHeader('access-control-allow-origin', '*');
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(file);
  });
  const manifest = {
    name: 'wishlist',
    version: '1.0.0',
    entry: `${cdn.origin}/wishlist/remoteEntry.js`,
    integrity: sha384(CONTAINER),
    modules: { [`${cdn.origin}/wishlist/chunk.js`]: sha384(CHUNK) },
  };
  const page = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/app.js')
      return void res
        .writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' })
        .end(app);
    const nonce = randomBytes(16).toString('base64');
    const config = { guarded: url.searchParams.has('guarded'), manifest, allowedOrigins: [cdn.origin] };
    res.writeHead(200, {
      'content-type': 'text/html',
      'cache-control': 'no-store',
      'content-security-policy': `script-src 'nonce-${nonce}' 'strict-dynamic'; require-trusted-types-for 'script'; trusted-types gatehouse`,
    });
    res.end(`<!doctype html><script type="application/json" id="config">${JSON.stringify(config)}</script>
<main id="outlet"></main><script type="module" nonce="${nonce}" src="/app.js"></script>`);
  });
  const browser = await launchChromium();
  try {
    const times = { guarded: [] as number[], plain: [] as number[] };
    await ctx.quiet(30_000);
    const stop = ctx.meter();
    // Interleaved, a fresh context each time (a first visit), one warm-up load of each first.
    for (let i = -1; i < settings.loads; i++)
      for (const variant of ['plain', 'guarded'] as const) {
        const context = await browser.newContext();
        const tab = await context.newPage();
        await tab.goto(`${page.origin}/${variant === 'guarded' ? '?guarded' : ''}`);
        await tab.waitForFunction(() => 'benchMounted' in window, undefined, { timeout: 10_000 });
        const mounted = (await tab.evaluate(
          () => (window as unknown as { benchMounted: number }).benchMounted,
        )) as number;
        if ((await tab.textContent('#outlet')) !== 'mounted') throw new Error(`${variant}: not mounted`);
        if (i >= 0) times[variant].push(mounted);
        await context.close();
      }
    const otherCores = stop();
    return {
      settings,
      chromium: browser.version(),
      guarded: summary(times.guarded),
      plain: summary(times.plain),
      shellGzip: await gzipOf("export { createShell } from '@gatehouse/shell';"),
      shellWithFederationGzip: await gzipOf(
        "export { createShell } from '@gatehouse/shell'; export { guardFederation, federatedLoader } from '@gatehouse/federation';",
      ),
      otherCores,
    };
  } finally {
    await browser.close();
    for (const { server } of [cdn, page]) {
      server.closeAllConnections();
      server.close();
    }
  }
}
