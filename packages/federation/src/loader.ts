import { defineRemote, type RemoteLifecycle } from '@gatehouse/remote';
import { type RemoteLoader, ShellError, withTimeout } from '@gatehouse/shell';
import { FederationError } from './errors.js';

/** What the loader needs of a Module Federation instance (`createInstance`'s). */
export interface FederationHost {
  loadRemote<T>(id: string): Promise<T | null>;
}

/** Options of {@link federatedLoader}. */
export interface FederatedLoaderOptions {
  /** The MF instance, with {@link guardFederation} among its plugins. */
  readonly federation: FederationHost;
  /** The remotes that are MF containers; every other remote goes to the shell's own loader. */
  readonly remotes: readonly string[];
  /** What each container exposes for the shell: a module exporting `remote` (`./remote` by default). */
  readonly expose?: string;
  /** Longest wait for a remote, in ms (10 000). */
  readonly timeoutMs?: number;
}

/**
 * The shell's `loader` option for Module Federation remotes: a federated remote is loaded with
 * `loadRemote('<name>/remote')` (so the guard plugin's checks run), and its `remote` export goes through the
 * same `defineRemote` contract as an ES-module remote's; it then gets the same frozen `RemoteContext`.
 * Errors keep their `FederationError` code (the region reports it), anything else is `GH_SHELL_LOAD_FAILED`;
 * a failed load stays failed for the page's life, like the shell's own loader.
 *
 * @example
 * const shell = createShell({ ...options, loader: federatedLoader({ federation: mf, remotes: ['wishlist'] }) });
 */
export function federatedLoader(options: FederatedLoaderOptions): (own: RemoteLoader) => RemoteLoader {
  const { expose = './remote' } = options;
  return (own) => {
    const loads = new Map<string, Promise<RemoteLifecycle>>();
    const load = async (name: string) => {
      const module = await withTimeout(
        options.federation.loadRemote<{ remote?: unknown }>(`${name}/${expose.replace(/^\.\//, '')}`),
        options.timeoutMs ?? 10_000,
        `load of "${name}"`,
      ).catch((cause: unknown) => {
        // Not allowed yet is not broken: the next load, once signed in, tries again.
        if ((cause as FederationError).code === 'GH_FED_FORBIDDEN') loads.delete(name);
        if (cause instanceof FederationError || cause instanceof ShellError) throw cause;
        throw new ShellError('GH_SHELL_LOAD_FAILED', `load of "${name}" failed`, { cause });
      });
      try {
        return defineRemote(module?.remote as RemoteLifecycle);
      } catch (cause) {
        throw new FederationError('GH_FED_LOAD_FAILED', name, 'exposes no valid remote', { cause });
      }
    };
    return {
      load: (name) =>
        options.remotes.includes(name)
          ? (loads.get(name) ?? loads.set(name, load(name)).get(name)!)
          : own.load(name),
    };
  };
}
