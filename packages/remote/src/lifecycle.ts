import type { RemoteContext } from './context.js';
import { RemoteError } from './errors.js';

/**
 * The contract between the shell and a remote (single-spa's lifecycles, without `bootstrap`). Each may be
 * async; the shell awaits it with a timeout. A remote whose `mount` throws is marked broken and shows an
 * error view in its region; the shell and the other remotes keep working.
 */
export interface RemoteLifecycle {
  /** Render into `element`. `context` is frozen; a new one comes with each `update`. */
  mount(element: HTMLElement, context: RemoteContext): void | Promise<void>;
  /** Remove everything rendered and forget everything held about the user (caches, in-memory data). */
  unmount(element: HTMLElement): void | Promise<void>;
  /**
   * Optional: the identity or the route (within this remote's routes) changed. Without it, the shell
   * unmounts and mounts again.
   */
  update?(context: RemoteContext, element: HTMLElement): void | Promise<void>;
}

/** What a remote's entry module exports: `export const remote = defineRemote({ … })`. */
export interface RemoteModule {
  readonly remote: RemoteLifecycle;
}

const KEYS = ['mount', 'unmount', 'update'];

/**
 * Checks and freezes a remote's lifecycle: `mount` and `unmount` functions, an optional `update` function and
 * nothing else (unknown keys are refused, like single-spa's registration). Throws `GH_REMOTE_BAD_LIFECYCLE`
 * listing every problem. The shell runs the same check on every module it loads.
 *
 * @example
 * export const remote = defineRemote({
 *   mount(element, context) { element.textContent = `Hello, ${context.identity.isAuthenticated ? context.identity.user.displayName : 'guest'}`; },
 *   unmount(element) { element.replaceChildren(); },
 * });
 */
export function defineRemote<T extends RemoteLifecycle>(lifecycle: T): Readonly<T> {
  const problems: string[] = [];
  if (!lifecycle || typeof lifecycle !== 'object') problems.push('not an object');
  else {
    for (const key of Object.keys(lifecycle))
      if (!KEYS.includes(key)) problems.push(`unknown key "${key.slice(0, 40)}"`);
    for (const key of KEYS) {
      const value = (lifecycle as unknown as Record<string, unknown>)[key];
      if ((key !== 'update' || value !== undefined) && typeof value !== 'function')
        problems.push(`${key} is not a function`);
    }
  }
  if (problems.length) throw new RemoteError('GH_REMOTE_BAD_LIFECYCLE', `bad remote: ${problems.join('; ')}`);
  return Object.freeze(lifecycle);
}
