import type { SessionRecord, SessionTokens } from '@gatehouse/bff';
import { launchChromium } from '@gatehouse/testing';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type RunningShop, type StartShopOptions, startShop } from '../../src/index.js';
import { buildWeb } from '../../src/web/build/index.js';
import { type JourneyRecord, type ScanResult, type Secret, scanContext } from './leak-scan.js';

/** Every port picked free: journeys never collide with `npm start` or another suite. */
export const FREE = {
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

/** Demo users and their display names. */
export const NAMES = {
  alice: 'Alice',
  bob: 'Bob',
  carol: 'Carol',
  dave: 'Dave',
  erin: 'Erin',
  frank: 'Frank',
  grace: 'Grace',
} as const;
export type Login = keyof typeof NAMES;

/** The auth events of the shell's bus a journey watches (docs/http-contract.md#shell-events, plus the expiry warning). */
const AUTH_EVENTS = [
  'auth:logged-in',
  'auth:logged-out',
  'auth:session-expired',
  'auth:identity-changed',
  'auth:session-expiring',
];

/**
 * Runs before every page: hands the shell's test hook a listener for every auth event, forwarded to the test
 * through a Playwright binding. Non-enumerable, so it is no `window` property of the shop's.
 */
const INIT_SCRIPT = `Object.defineProperty(globalThis, 'gatehouseTestHook', {
  enumerable: false,
  value: (bus) => { for (const type of ${JSON.stringify(AUTH_EVENTS)}) bus.on(type, (payload) => globalThis.gatehouseTestEvent(type, JSON.stringify(payload))); },
});`;

/** One user's browser for one journey: a fresh context (its own cookies), recorded for the leak scan. */
export interface Journey {
  readonly context: BrowserContext;
  /** The first tab. */
  readonly page: Page;
  /** What the pages did: URLs, bodies, auth events (type and JSON payload). */
  readonly record: JourneyRecord & { readonly events: { type: string; payload: string }[] };
  /** Every request the pages made (URL, method, status once answered). */
  readonly requests: { url: string; method: string; status?: number }[];
  /** Errors thrown in the pages (uncaught). */
  readonly pageErrors: string[];
  /** Another tab in the same browser (same cookies). */
  newPage(): Promise<Page>;
  /** The auth events seen so far, parsed. */
  events(type?: string): unknown[];
  /** Closes the context without the leak scan (for the scanner's own test). */
  discard(): Promise<void>;
}

/** The running shop and a browser, shared by every journey of a test file. */
export interface ShopJourneys {
  readonly shop: RunningShop;
  readonly browser: Browser;
  /** `shop.urls.shop` + path */
  url(path: string): string;
  /** A fresh browser context for one journey (its pages are recorded and leak-scanned after the test). */
  journey(options?: { readonly viewport?: { width: number; height: number } }): Promise<Journey>;
  /** Every token and session id the BFF's store has held, plus those it holds now for `context`. */
  secrets(context?: BrowserContext): Promise<Secret[]>;
  /** The leak scan of one journey. */
  scan(journey: Journey): Promise<ScanResult>;
}

/** The shop's options, or a function answering them once the suite starts. */
type ShopOptions = StartShopOptions | (() => StartShopOptions | Promise<StartShopOptions>);

/** A started shop and browser outside a test file (the screenshots script): `close` stops both. */
export interface RunningShopJourneys extends ShopJourneys {
  /** Closes every journey still open, the browser and the shop. */
  close(): Promise<void>;
}

/**
 * Starts one shop (free ports, PGlite in memory unless told otherwise) and one Chromium for a test file,
 * and runs the leak scan after every test over every journey it opened, then closes them. Call it inside a
 * `describe`.
 */
export function useShopJourneys(options: ShopOptions = {}): ShopJourneys {
  const journeys = shopJourneys();
  const { harness, open } = journeys;

  beforeAll(() => journeys.start(options), 120_000);

  afterEach(async () => {
    const opened = open.splice(0);
    try {
      for (const journey of opened) {
        const result = await harness.scan(journey);
        expect(result.leaks, 'token-shaped strings where browser code can read them').toEqual([]);
        expect(result.shopStorage, 'the shop writes nothing to browser storage').toEqual([]);
        expect(result.surfaces.urls, 'the scan saw the URLs the pages visited').toBeGreaterThan(0);
      }
    } finally {
      for (const journey of opened) await journey.context.close().catch(() => {});
    }
  }, 60_000);

  // Room for a loaded two-core machine: stopping closes Chromium, the shop's servers and its databases.
  afterAll(() => journeys.stop(), 150_000);
  return harness;
}

/** The same shop and browser as {@link useShopJourneys}, started now, for a script; no leak scan. */
export async function startShopJourneys(options: StartShopOptions = {}): Promise<RunningShopJourneys> {
  const journeys = shopJourneys();
  try {
    await journeys.start(options);
  } catch (error) {
    await journeys.stop();
    throw error;
  }
  const close = async () => {
    for (const journey of journeys.open.splice(0)) await journey.context.close().catch(() => {});
    await journeys.stop();
  };
  return Object.assign(journeys.harness, { close });
}

/**
 * The harness without a test runner's hooks: `start` and `stop` it; `open` lists the journeys not closed.
 * One long closure on purpose: the harness's methods share the shop, the browser and the recorded secrets.
 */
function shopJourneys(): {
  harness: ShopJourneys;
  open: Journey[];
  start(options: ShopOptions): Promise<void>;
  stop(): Promise<void>;
} {
  let shop: RunningShop | undefined;
  let browser: Browser | undefined;
  const open: Journey[] = [];
  /** Response bodies still being read, per journey. */
  const pending = new WeakMap<Journey, Promise<unknown>[]>();
  const recorded = new Map<string, Secret>();
  const remember = (id: string, tokens: SessionTokens) => {
    const ref = id.slice(0, 8);
    recorded.set(id, { value: id, name: `session id ${ref}…` });
    for (const [kind, value] of [
      ['access token', tokens.accessToken],
      ['refresh token', tokens.refreshToken],
      ['ID token', tokens.idToken],
    ] as const)
      if (value) recorded.set(value, { value, name: `the ${kind} of session ${ref}…` });
  };

  const start = async (options: ShopOptions): Promise<void> => {
    await buildWeb();
    const chosen = typeof options === 'function' ? await options() : options;
    [shop, browser] = await Promise.all([
      startShop({ ports: FREE, memory: true, logLevel: 'silent', ...chosen }),
      launchChromium(),
    ]);
    // Remember every token the store is given, at login and at every refresh, read from the BFF itself.
    const store = shop.bff.runtime.store;
    const create = store.create.bind(store);
    const updateTokens = store.updateTokens.bind(store);
    store.create = (id: string, record: SessionRecord, ttlMs: number) => {
      remember(id, record.tokens);
      return create(id, record, ttlMs);
    };
    store.updateTokens = (id: string, tokens: SessionTokens, user?: SessionRecord['user']) => {
      remember(id, tokens);
      return updateTokens(id, tokens, user);
    };
  };

  const stop = async (): Promise<void> => {
    await browser?.close();
    await shop?.close();
  };

  const harness: ShopJourneys = {
    get shop() {
      if (!shop) throw new Error('the shop is not started (beforeAll failed?)');
      return shop;
    },
    get browser() {
      if (!browser) throw new Error('Chromium is not started (beforeAll failed?)');
      return browser;
    },
    url: (path) => `${harness.shop.urls.shop}${path}`,

    async journey(journeyOptions = {}) {
      const context = await harness.browser.newContext({
        viewport: journeyOptions.viewport ?? { width: 1280, height: 800 },
      });
      context.setDefaultTimeout(30_000);
      const record = {
        urls: [] as string[],
        requestBodies: [] as { url: string; body: string }[],
        responseBodies: [] as { url: string; body: string }[],
        events: [] as { type: string; payload: string }[],
      };
      const requests: Journey['requests'] = [];
      const pageErrors: string[] = [];
      const bodies: Promise<unknown>[] = [];
      await context.exposeBinding('gatehouseTestEvent', (_source, type: string, payload: string) => {
        record.events.push({ type, payload });
      });
      await context.addInitScript(INIT_SCRIPT);
      const shopOrigin = harness.shop.urls.shop;
      const watch = (page: Page) => {
        page.on('framenavigated', (frame) => record.urls.push(frame.url()));
        page.on('pageerror', (error) => pageErrors.push(error.message));
        page.on('request', (request: Request) => {
          record.urls.push(request.url());
          const body = request.postData();
          if (body) record.requestBodies.push({ url: request.url(), body });
          requests.push({ url: request.url(), method: request.method() });
        });
        page.on('response', (response) => {
          const entry = requests.findLast((r) => r.url === response.url() && r.status === undefined);
          if (entry) entry.status = response.status();
          const type = response.headers()['content-type'] ?? '';
          if (response.url().startsWith(shopOrigin) && /json|html/.test(type) && response.status() < 300)
            bodies.push(
              response.text().then(
                (body) => record.responseBodies.push({ url: response.url(), body }),
                () => {},
              ),
            );
        });
      };
      context.on('page', watch);
      const page = await context.newPage();
      const journey: Journey = {
        context,
        page,
        record,
        requests,
        pageErrors,
        newPage: () => context.newPage(),
        events: (type) =>
          record.events
            .filter((event) => type === undefined || event.type === type)
            .map((event) => JSON.parse(event.payload) as unknown),
        async discard() {
          open.splice(open.indexOf(journey), 1);
          await context.close();
        },
      };
      pending.set(journey, bodies);
      open.push(journey);
      return journey;
    },

    async secrets(context) {
      const secrets = new Map(recorded);
      if (context) {
        const header = (await context.cookies(harness.shop.urls.shop))
          .map((cookie) => `${cookie.name}=${cookie.value}`)
          .join('; ');
        const runtime = harness.shop.bff.runtime;
        const session = runtime.cookies.session(header);
        if (session.kind === 'id') {
          const record = await runtime.store.get(session.id);
          if (record) remember(session.id, record.tokens);
        }
      }
      for (const [key, value] of recorded) secrets.set(key, value);
      return [...secrets.values()];
    },

    async scan(journey) {
      await Promise.all(pending.get(journey) ?? []);
      const secrets = await harness.secrets(journey.context);
      return scanContext(journey.context, journey.record, secrets, harness.shop.urls.shop);
    },
  };
  return { harness, open, start, stop };
}

/** Waits until `condition` holds (polling), or fails after `timeout` ms with `message`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  message: string,
  timeout = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether `url` is the identity provider's (its login form). */
export const atIdp = (shop: RunningShop, url: string) => new URL(url).origin === shop.urls.idp;

/**
 * Fills the dev IdP's login form the page is on and submits it; resolves once the browser is back at the
 * shop (the path the login started for, when given).
 */
export async function submitLogin(
  shop: RunningShop,
  page: Page,
  login: Login,
  backAt?: string,
): Promise<void> {
  await page.waitForURL((url) => url.origin === shop.urls.idp);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', login);
  await Promise.all([
    page.waitForURL(
      (url) =>
        url.origin === shop.urls.shop &&
        !url.pathname.startsWith('/auth/') &&
        (!backAt || url.pathname + url.search === backAt),
    ),
    page.locator('button[type=submit]').first().click(),
  ]);
}

/** Opens `path` (a protected route: the BFF sends the browser to sign in), signs in, and waits for the shell. */
export async function signInAt(shop: RunningShop, page: Page, login: Login, path: string): Promise<void> {
  await page.goto(`${shop.urls.shop}/auth/login?returnTo=${encodeURIComponent(path)}`);
  await submitLogin(shop, page, login, path);
  await page.getByTestId('user-name').filter({ hasText: NAMES[login] }).waitFor();
}

/** The delivery address a journey types at checkout. */
export async function fillAddress(page: Page, name: string): Promise<void> {
  for (const [field, value] of [
    ['name', name],
    ['phone', '98450 12345'],
    ['line1', '12 MG Road'],
    ['city', 'Bengaluru'],
    ['state', 'Karnataka'],
    ['postalCode', '560001'],
  ] as const)
    await page.fill(`#address-${field}`, value);
}

/** Signs out through the account menu; resolves back on the shop's home page, anonymous. */
export async function signOut(shop: RunningShop, page: Page): Promise<void> {
  await page.getByTestId('account-button').click();
  await Promise.all([
    page.waitForURL(`${shop.urls.shop}/`),
    page.getByRole('menuitem', { name: 'Sign out' }).click(),
  ]);
  await page.getByTestId('sign-in').waitFor();
}

/** The text of every import map on the page: the BFF's and the one the runtime adds. */
export async function importMaps(page: Page): Promise<string> {
  return page.evaluate(
    `[...document.querySelectorAll('script[type=importmap]')].map((s) => s.textContent).join('\\n')`,
  ) as Promise<string>;
}

/** GET `url` from inside the page (its cookies, same origin): the status. */
export async function fetchStatus(
  page: Page,
  url: string,
  init: Record<string, unknown> = {},
): Promise<number> {
  return page.evaluate(
    async ([target, options]) => (await fetch(target as string, options as RequestInit)).status,
    [url, init] as const,
  );
}
