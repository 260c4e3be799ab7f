// The targets of the authenticated proxied GET, one server each, measured one at a time.
import { envList } from '../lib/settings.js';

/** One target. */
export interface Scenario {
  readonly id: string;
  readonly label: string;
  /** Apache httpd + mod_auth_openidc. */
  readonly apache?: true;
  /**
   * The Gatehouse BFF: its store and its cluster workers; with `audiences`, six upstreams of six audiences
   * (RFC 8707), the measured one getting a token of its own rather than the session's main token.
   */
  readonly bff?: {
    readonly redis: boolean;
    readonly workers: number;
    readonly audiences?: true;
    /** DPoP (RFC 9449): tokens bound to the BFF's key, a fresh proof signed per proxied request. */
    readonly dpop?: true;
  };
}

/** Every target, in the order they are measured in a round. */
export function allScenarios(workers: number): Scenario[] {
  return [
    { id: 'direct', label: 'direct to upstream (node:http)' },
    { id: 'reply-from', label: 'bare @fastify/reply-from proxy' },
    { id: 'raw-proxy', label: 'floor: node:http + undici pool, fixed bearer, no checks' },
    { id: 'mod-auth-openidc', label: 'Apache mod_auth_openidc', apache: true },
    { id: 'bff-memory', label: 'Gatehouse BFF, memory store', bff: { redis: false, workers: 1 } },
    {
      id: 'bff-audiences',
      label: 'Gatehouse BFF, memory store, six audiences',
      bff: { redis: false, workers: 1, audiences: true },
    },
    {
      id: 'bff-dpop',
      label: 'Gatehouse BFF, memory store, DPoP (ES256 proof per request)',
      bff: { redis: false, workers: 1, dpop: true },
    },
    {
      id: 'bff-audiences-dpop',
      label: 'Gatehouse BFF, memory store, six audiences, DPoP',
      bff: { redis: false, workers: 1, audiences: true, dpop: true },
    },
    { id: 'bff-redis', label: 'Gatehouse BFF, Redis store', bff: { redis: true, workers: 1 } },
    {
      id: 'bff-workers',
      label: `Gatehouse BFF, Redis store, ${workers} workers`,
      bff: { redis: true, workers },
    },
  ];
}

/** The targets BENCH_SCENARIOS names (all of them when it is not set); an unknown one is an error. */
export function selectScenarios(all: readonly Scenario[]): { scenarios: Scenario[]; subset: boolean } {
  const only = envList('BENCH_SCENARIOS');
  if (!only) return { scenarios: [...all], subset: false };
  for (const id of only) {
    if (!all.some((scenario) => scenario.id === id)) {
      throw new Error(`BENCH_SCENARIOS: unknown scenario ${id} (known: ${all.map((s) => s.id).join(', ')})`);
    }
  }
  return { scenarios: all.filter((scenario) => only.includes(scenario.id)), subset: true };
}
