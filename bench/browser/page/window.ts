// What the fixture page and the instrumented pages keep on `window` for the bench to read (page.evaluate)
// and what they report through the `benchReport` Playwright binding.

/** One event of the fixture page: an auth state change, the remote mounted, logout called. */
export interface BenchEntry {
  /** e.g. `state:logged-out`, `mounted`, `logout-called`, `auth-known`. */
  readonly type: string;
  /** Wall-clock time, ms since the epoch (`performance.timeOrigin + now()`: comparable across tabs). */
  readonly at: number;
  /** ms since navigation start. */
  readonly t: number;
  readonly status?: string;
  readonly reason?: string;
  readonly error?: string;
}

/** The fixture page's record (`window.__bench`). */
export interface BenchPage {
  readonly log: BenchEntry[];
  /** When the page's script started, ms since navigation start. */
  readonly appStartedAt: number;
  /** When the runtime's auth state first left `loading`. */
  authKnownAt: number | undefined;
  /** When the first remote finished `mount`. */
  mountedAt: number | undefined;
  logout?: () => Promise<void>;
  started?: Promise<void>;
}

/** What the init script records on any page that uses @gatehouse/shell (`window.__benchMarks`). */
export interface BenchMarks {
  authKnownAt: number | undefined;
  mountedAt: number | undefined;
}

declare global {
  interface Window {
    __bench?: BenchPage;
    __benchMounted?: () => void;
    __benchMarks?: BenchMarks;
    /** Push streams (EventSource) opened by the page. */
    __benchPushOpen?: number;
    /** The bench's Playwright binding. */
    benchReport?: (entry: BenchEntry) => void;
  }
}
