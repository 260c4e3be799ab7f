// The load test's settings (LOAD_* in the environment; `--quick` changes the defaults).
import { envNumber } from '../lib/settings.js';
import { loadFaults } from './fault.js';

/** How many sessions, how long, how hard. */
export interface LoadTestSettings {
  readonly sessions: number;
  readonly durationS: number;
  readonly instances: number;
  /** The access token's lifetime at the dev IdP, s. */
  readonly tokenTtlS: number;
  /** The BFF's `refreshLeeway`, s. */
  readonly refreshLeewayS: number;
  /** Requests per second per session. */
  readonly ratePerSession: number;
  /** Keep-alive connections per instance. */
  readonly connections: number;
  readonly loginConcurrency: number;
  readonly timeoutS: number;
  /** `LOAD_FAULT`: the fault to cause during the load (`kill-primary`, on a cluster), if any. */
  readonly fault: (typeof loadFaults)[number] | undefined;
  /** `LOAD_FAULT_AT`: seconds into the load when it happens. */
  readonly faultAtS: number;
}

/**
 * The settings from the environment. `quick`: 50 sessions for 15 s with 10-second tokens (`refreshLeeway` 2 s),
 * so every session still refreshes in a run.
 */
export function loadTestSettings(quick: boolean): LoadTestSettings {
  const setting = (name: string, full: number, short: number, min = 1) =>
    envNumber(name, quick ? short : full, min);
  const ratePerSession = Number(process.env.LOAD_RATE ?? 1);
  if (!(ratePerSession > 0)) throw new Error('LOAD_RATE must be a positive number of requests per second');
  const fault = loadFaults.find((name) => name === process.env.LOAD_FAULT);
  if (process.env.LOAD_FAULT && !fault)
    throw new Error(`LOAD_FAULT must be one of ${loadFaults.join(', ')} (got ${process.env.LOAD_FAULT})`);
  if (fault && process.env.LOAD_REDIS_CLUSTER !== '1')
    throw new Error(
      `LOAD_FAULT=${fault} needs LOAD_REDIS_CLUSTER=1 (the run's own cluster: it kills a node)`,
    );
  const durationS = setting('LOAD_DURATION', 60, 15);
  const faultAtS = setting('LOAD_FAULT_AT', Math.round(durationS / 3), Math.round(durationS / 3));
  if (fault && faultAtS >= durationS - 5)
    throw new Error(
      `LOAD_FAULT_AT (${faultAtS}) must leave at least 5 s of the ${durationS}-second load after it`,
    );
  return {
    sessions: setting('LOAD_SESSIONS', 1000, 50),
    durationS,
    instances: setting('LOAD_INSTANCES', 2, 2),
    tokenTtlS: setting('LOAD_TOKEN_TTL', 30, 10),
    refreshLeewayS: setting('LOAD_REFRESH_LEEWAY', 5, 2, 0),
    ratePerSession,
    connections: setting('LOAD_CONNECTIONS', 128, 128),
    loginConcurrency: setting('LOAD_LOGIN_CONCURRENCY', 8, 8),
    timeoutS: setting('LOAD_TIMEOUT', 10, 10),
    fault,
    faultAtS,
  };
}

/** The leeway the BFF applies: `refreshLeeway`, at most half the token's lifetime. */
export const effectiveLeewayS = (settings: LoadTestSettings): number =>
  Math.min(settings.refreshLeewayS, settings.tokenTtlS / 2);
