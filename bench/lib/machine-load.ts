// The CPU that processes outside the bench use while it measures: on a 2-core machine a concurrent build or
// test run halves a server's throughput and would pass for a result. The bench waits for the machine to be
// quiet before each measurement and meters what other processes used during it.
import { setTimeout as sleep } from 'node:timers/promises';
import { benchCpuMs, cpuMs, machineBusyMs } from './cpu.js';

/** Cores used by processes other than the bench's above which a measurement is called disturbed. */
export const OTHER_LOAD_LIMIT = 0.2;

/** Waits for and meters other processes' load (Linux /proc; elsewhere nothing is waited for or metered). */
export class MachineLoad {
  /** The local Redis server's pid, when known: its CPU is the bench's own load, not another process's. */
  redisPid: number | undefined;

  /**
   * @param quietWaitS the longest wait for other processes to settle before a measurement
   * @param log where "waiting…" lines go
   */
  constructor(
    private readonly quietWaitS: number,
    private readonly log: (line: string) => void,
  ) {}

  /** CPU used by the bench: this process, its children (servers, load generator) and the local Redis. */
  ownCpuMs(): number | undefined {
    const bench = benchCpuMs();
    const redis = this.redisPid ? (cpuMs(this.redisPid) ?? 0) : 0;
    return bench === undefined ? undefined : bench + redis;
  }

  /** Starts measuring other processes' load; the function it answers gives their cores since then. */
  meter(): () => number | undefined {
    const before = [this.ownCpuMs(), machineBusyMs()] as const;
    const at = Date.now();
    return () => {
      const after = [this.ownCpuMs(), machineBusyMs()] as const;
      const ms = Date.now() - at;
      const [ownBefore, busyBefore] = before;
      const [ownAfter, busyAfter] = after;
      if (ownBefore === undefined || busyBefore === undefined || ownAfter === undefined) return undefined;
      if (busyAfter === undefined || ms <= 0) return undefined;
      return Math.max(0, (busyAfter - busyBefore - (ownAfter - ownBefore)) / ms);
    };
  }

  /** Cores used by processes other than this bench's over `ms` (undefined off Linux). */
  async otherLoad(ms: number): Promise<number | undefined> {
    const load = this.meter();
    await sleep(ms);
    return load();
  }

  /**
   * Waits (up to `quietWaitS`, or `maxWaitMs` when shorter) until other processes use at most
   * {@link OTHER_LOAD_LIMIT} cores.
   */
  async waitForQuiet(maxWaitMs = this.quietWaitS * 1000): Promise<void> {
    const deadline = Date.now() + Math.min(maxWaitMs, this.quietWaitS * 1000);
    let told = false;
    for (;;) {
      const load = await this.otherLoad(1000);
      if (load === undefined || load <= OTHER_LOAD_LIMIT) return;
      if (Date.now() > deadline) {
        this.log(`  still ${load.toFixed(2)} cores busy elsewhere: measuring anyway`);
        return;
      }
      if (!told)
        this.log(`  waiting for other processes to settle (${load.toFixed(2)} cores busy elsewhere)…`);
      told = true;
    }
  }
}
