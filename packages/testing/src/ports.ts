import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The first port of the kernel's ephemeral range (Linux: `ip_local_port_range`, 32768 by default): every
 * `listen(0)` of the suite's servers and of Chromium is given a port from there on.
 */
function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const port = Number(low);
    return Number.isInteger(port) && port > 12_000 ? port : 32_768;
  } catch {
    return 32_768;
  }
}

const FIRST = 10_000;
const END = ephemeralStart();
/** Ports this process handed out: never twice. */
const given = new Set<number>();

/** Listens on `port` at 127.0.0.1 and closes at once: whether it was free. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1, for a server a test starts a little later (often after
 * the port went into another server's configuration). Picked at random below the ephemeral range: a port the
 * kernel gave to another server's `listen(0)` in between would make that later listen fail with
 * `EADDRINUSE` (seen under the whole suite), and no `listen(0)` is ever given one of these.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FIRST + Math.floor(Math.random() * (END - FIRST));
    if (given.has(port) || !(await isFree(port))) continue;
    given.add(port);
    return port;
  }
  throw new Error(`no free port between ${FIRST} and ${END} after 200 tries`);
}
