// The Gatehouse BFF as a deployment runs it: `startBff(resolveConfig(options))` from the built package, in its
// own process (options as JSON in BENCH_BFF_OPTIONS). With `workers > 1`, startBff forks node:cluster workers
// that run this same file; the primary says it is ready once every worker listens.
import cluster from 'node:cluster';
import { type BffOptions, resolveConfig, startBff } from '@gatehouse/bff';
import { optionsFromEnv, readyOnIpc } from '../lib/child.js';

const config = resolveConfig(optionsFromEnv<BffOptions>('BENCH_BFF_OPTIONS'));
const url = `http://127.0.0.1:${config.port}`;

if (config.workers > 1 && cluster.isPrimary) {
  let listening = 0;
  let announced = false;
  cluster.on('listening', () => {
    listening++;
    if (!announced && listening >= config.workers) {
      announced = true;
      readyOnIpc(url, workersGone);
    }
  });
  await startBff(config);
} else if (cluster.isPrimary) {
  const server = await startBff(config);
  readyOnIpc(url, () => server?.close() ?? Promise.resolve());
} else {
  // A cluster worker: startBff listens on the port the primary shares; SIGTERM closes it (startBff's handler).
  await startBff(config);
}

/**
 * Resolves once every worker has exited. startBff's own SIGTERM/SIGINT handler already sent each one SIGTERM
 * (a second signal would kill a worker before it writes its --cpu-prof profile).
 */
function workersGone(): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
      else setTimeout(check, 20);
    };
    check();
  });
}
