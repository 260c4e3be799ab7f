// What every suite of `npm run bench` gets from the run: the shared Redis, its key prefix and session secret,
// the log, and the machine-load helpers.

/** The run's context handed to each suite. */
export interface SuiteContext {
  readonly redisUrl: string;
  /** Redis key prefix of this run; every key under it is deleted at the end. */
  readonly prefix: string;
  /** The BFF instances' session secret. */
  readonly secret: string;
  log(line: string): void;
  /** Waits (at most `maxWaitMs`) for other processes to settle. */
  quiet(maxWaitMs?: number): Promise<void>;
  /** Starts metering other processes' load; the answer gives their cores since then. */
  meter(): () => number | undefined;
}

/** What a suite answers when it did not run, or failed. */
export type NotMeasured = { readonly skipped: string } | { readonly failed: string };

/** True when `result` says why the suite did not measure. */
export function notMeasured(result: object | undefined): result is NotMeasured {
  return result !== undefined && ('skipped' in result || 'failed' in result);
}

/** Why: the reason a {@link NotMeasured} carries. */
export const reasonOf = (result: NotMeasured): string =>
  'skipped' in result ? result.skipped : result.failed;
