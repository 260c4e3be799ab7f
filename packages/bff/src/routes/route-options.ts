import type { GatehouseRuntime } from '../runtime.js';

/** What every route plugin of the BFF is registered with. */
export interface BffRouteOptions {
  readonly runtime: GatehouseRuntime;
}
