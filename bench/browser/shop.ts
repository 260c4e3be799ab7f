// The reference shop in Chromium (`startShop` of examples/shop, as built): signed in as alice, its home route, a
// first visit and a repeat visit each time, with the same counts as the fixture page. Skipped with the reason
// when the shop cannot start (not built, or not there).
import type { Browser, BrowserContext } from 'playwright-core';
import { messageOf } from '../lib/redis.js';
import { signInCookie } from '../lib/session.js';
import { type Summary, summary } from '../lib/stats.js';
import type { NotMeasured, SuiteContext } from '../lib/suite.js';
import type { BenchMarks } from './page/window.js';
import { type LoadedResource, sessionCookie } from './pages.js';

/**
 * The part of examples/shop's API the bench uses. The shop is imported at run time as built (its `default`
 * export condition, dist/), by name only, so the bench's typecheck does not take in the shop's sources.
 */
interface ShopModule {
  startShop(options: {
    ports: Record<string, number>;
    memory: boolean;
    logLevel: string;
  }): Promise<RunningShop>;
}

/** A running shop (`RunningShop` of examples/shop), as far as the bench uses it. */
interface RunningShop {
  readonly urls: { readonly shop: string };
  close(): Promise<void>;
}

const SHOP_PACKAGE: string = '@gatehouse/example-shop';

/** The shop's page loads of one kind of visit. */
export interface ShopVisits {
  readonly runs: number;
  /** The most requests made by script before the auth state was known. */
  readonly requestsBeforeAuthMax: number;
  readonly requestsBeforeAuthNames: readonly string[];
  /** The most files of the page's own code loaded before. */
  readonly codeBeforeAuthMax: number;
  readonly authKnown: Summary;
  readonly mounted: Summary;
}

/** What the shop's page loads measured. */
export type ShopFigures =
  | { readonly first: ShopVisits; readonly repeat: ShopVisits; readonly otherCores: number | undefined }
  | NotMeasured;

/** One visit, as measured. */
interface Visit {
  readonly authKnownMs: number;
  readonly mountedMs: number;
  readonly requestsBeforeAuth: number;
  readonly names: string[];
  readonly codeBeforeAuth: number;
}

/**
 * Instruments any page that uses @gatehouse/shell: the first time the runtime reads the inlined identity
 * (`getElementById('gatehouse-identity')`, which is how it learns the auth state without a request) and the
 * first time a mounted remote (`[data-gatehouse-remote]`) has content. Runs in the page.
 */
const INSTRUMENT = () => {
  const marks: BenchMarks = { authKnownAt: undefined, mountedAt: undefined };
  window.__benchMarks = marks;
  const byId = Document.prototype.getElementById;
  Document.prototype.getElementById = function (this: Document, id: string) {
    const found = byId.call(this, id);
    if (id === 'gatehouse-identity' && marks.authKnownAt === undefined) marks.authKnownAt = performance.now();
    return found;
  };
  new MutationObserver((_, observer) => {
    if (document.querySelector('[data-gatehouse-remote] *')) {
      marks.mountedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
};

/** Starts the built shop and measures its page loads; see the file's comment. */
export async function shopFigures(
  ctx: SuiteContext,
  browser: Browser,
  settings: { readonly loads: number },
): Promise<ShopFigures> {
  let shop: RunningShop;
  try {
    const module = (await import(SHOP_PACKAGE).catch((error: unknown) => {
      throw new Error(`examples/shop is not importable (${messageOf(error).split('\n')[0]}); npm run build`);
    })) as Partial<ShopModule>;
    if (typeof module.startShop !== 'function') throw new Error('examples/shop exports no startShop');
    const ports = {
      bff: 0,
      idp: 0,
      remotes: 0,
      catalog: 0,
      cart: 0,
      checkout: 0,
      orders: 0,
      profile: 0,
      org: 0,
    };
    shop = await module.startShop({ ports, memory: true, logLevel: 'silent' });
  } catch (error) {
    const reason = messageOf(error).split('\n')[0] ?? '';
    ctx.log(`  the reference shop: skipped (${reason})`);
    return { skipped: reason };
  }
  try {
    const cookie = await signInCookie(shop.urls.shop, 'alice');
    const runs: Record<'first' | 'repeat', Visit[]> = { first: [], repeat: [] };
    await ctx.quiet();
    const meter = ctx.meter();
    for (let i = 0; i < settings.loads; i++) {
      const context = await browser.newContext();
      try {
        await context.addInitScript(INSTRUMENT);
        await context.addCookies([sessionCookie(cookie)]);
        for (const visit of ['first', 'repeat'] as const) runs[visit].push(await shopVisit(context, shop));
      } finally {
        await context.close();
      }
    }
    const otherCores = meter();
    const result = { first: visits(runs.first), repeat: visits(runs.repeat), otherCores };
    ctx.log(
      `  the reference shop (home, signed in, ${settings.loads} first visits): ${result.first.requestsBeforeAuthMax} ` +
        `request(s) before the auth state (${result.first.codeBeforeAuthMax} page code), first remote mounted ` +
        `p50 ${result.first.mounted.p50.toFixed(1)} ms (repeat visit ${result.repeat.mounted.p50.toFixed(1)} ms)`,
    );
    return result;
  } catch (error) {
    const reason = messageOf(error).split('\n')[0] ?? '';
    ctx.log(`  the reference shop: failed (${reason})`);
    return { failed: reason };
  } finally {
    await shop.close();
  }
}

/** One visit of the shop's home page in `context`. */
async function shopVisit(context: BrowserContext, shop: RunningShop): Promise<Visit> {
  const page = await context.newPage();
  await page.goto(`${shop.urls.shop}/`);
  await page.waitForFunction(() => window.__benchMarks?.mountedAt !== undefined, undefined, {
    timeout: 15_000,
  });
  const seen = await page.evaluate(() => ({
    authKnownAt: window.__benchMarks?.authKnownAt ?? Number.NaN,
    mountedAt: window.__benchMarks?.mountedAt ?? Number.NaN,
    name: document.querySelector('[data-testid=user-name]')?.textContent,
    resources: performance.getEntriesByType('resource').map(
      (entry): LoadedResource => ({
        name: entry.name,
        start: entry.startTime,
        initiator: (entry as PerformanceResourceTiming).initiatorType,
      }),
    ),
  }));
  await page.close();
  const before = seen.resources.filter((entry) => entry.start < seen.authKnownAt);
  // Code and styles the page itself loads (scripts, module preloads, CSS) vs requests made by script.
  const code = new Set(['script', 'link', 'css', 'img']);
  const byRuntime = before.filter((entry) => !code.has(entry.initiator));
  return {
    authKnownMs: seen.authKnownAt,
    mountedMs: seen.mountedAt,
    requestsBeforeAuth: byRuntime.length,
    names: byRuntime.map((entry) => new URL(entry.name).pathname),
    codeBeforeAuth: before.length - byRuntime.length,
  };
}

/** The figures of a list of visits. */
function visits(list: readonly Visit[]): ShopVisits {
  return {
    runs: list.length,
    requestsBeforeAuthMax: Math.max(...list.map((run) => run.requestsBeforeAuth)),
    requestsBeforeAuthNames: [...new Set(list.flatMap((run) => run.names))],
    codeBeforeAuthMax: Math.max(...list.map((run) => run.codeBeforeAuth)),
    authKnown: summary(list.map((run) => run.authKnownMs)),
    mounted: summary(list.map((run) => run.mountedMs)),
  };
}
