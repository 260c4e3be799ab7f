// The BFF for the long-lived suite, in its own process: `startBff(resolveConfig(options))` from the built
// package (options as JSON in BENCH_BFF_OPTIONS), answering `memory` over IPC with its heap and RSS after a
// full garbage collection (the process runs with --expose-gc) and its count of open long-lived connections.
import { type BffOptions, resolveConfig, startBff } from '@gatehouse/bff';
import { answerOnIpc, optionsFromEnv, readyOnIpc } from '../lib/child.js';

/** The answer to `memory`. */
export interface BffMemory {
  /** V8 heap in use plus memory outside it (Buffers, native objects V8 knows of), bytes. */
  readonly heap: number;
  readonly rss: number;
  /** Open WebSockets and event streams through the proxy. */
  readonly open: number;
}

const config = resolveConfig(optionsFromEnv<BffOptions>('BENCH_BFF_OPTIONS'));
const server = await startBff(config);
if (!server) throw new Error('the long-lived suite runs one BFF process (workers: 1)');
const collect = (globalThis as { gc?: () => void }).gc;
answerOnIpc('memory', (): BffMemory => {
  // Twice: what the first pass frees may hold more that only a second pass sees unreachable.
  collect?.();
  collect?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed + usage.external, rss: usage.rss, open: server.runtime.longLived.size };
});
readyOnIpc(`http://127.0.0.1:${config.port}`, () => server.close());
