// CPU accounting from /proc (Linux; every function answers undefined elsewhere):
// - the CPU a server (and its cluster workers) spends per request, steadier than requests/s on a 2-core
//   machine shared with the load generator and the upstream;
// - the CPU used on the machine by anything other than this bench, so a run disturbed by other work (a
//   build, a test suite) says so instead of passing its noise off as a result.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** The fields of /proc/<pid>/stat after the command name, numbered as in proc(5) minus 3. */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU milliseconds used so far by `pid` and its live descendants. */
export function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let ticks = 0;
    const visit = (id: number | string) => {
      const fields = statFields(id);
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
      // Node forks from its main thread, whose task id is the pid.
      const children = readFileSync(`/proc/${id}/task/${id}/children`, 'utf8').trim();
      for (const child of children ? children.split(' ') : []) visit(child);
    };
    visit(pid);
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU milliseconds of this process, its live descendants, and its children that already exited (wrk runs). */
export function benchCpuMs(): number | undefined {
  const live = cpuMs(process.pid);
  if (live === undefined) return undefined;
  try {
    const fields = statFields(process.pid);
    return live + ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND; // cutime, cstime
  } catch {
    return undefined;
  }
}

/** CPU milliseconds the whole machine has been busy (every core; idle and iowait excluded). */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const busy = [user, nice, system, irq, softirq, steal];
    if (busy.some((value) => value === undefined || Number.isNaN(value))) return undefined;
    return ((busy as number[]).reduce((sum, value) => sum + value, 0) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
