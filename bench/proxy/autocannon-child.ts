// Runs autocannon in its own process (the fallback when wrk is missing) and prints its result as one JSON line.
// Options come from BENCH_AUTOCANNON (AutocannonOptions as JSON).
import autocannon from 'autocannon';
import { optionsFromEnv } from '../lib/child.js';

/** BENCH_AUTOCANNON. */
export interface AutocannonOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly connections: number;
  readonly workers: number;
  readonly duration: number;
  readonly timeout: number;
}

const options = optionsFromEnv<AutocannonOptions>('BENCH_AUTOCANNON');
const result = await autocannon({
  url: options.url,
  headers: options.headers,
  connections: options.connections,
  duration: options.duration,
  timeout: options.timeout,
  ...(options.workers > 1 ? { workers: options.workers } : {}),
});
process.stdout.write(`${JSON.stringify(result)}\n`);
