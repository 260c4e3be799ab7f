import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { InlineConfig, Plugin } from 'vite';
import type { ManifestRoute, RemoteDescription } from './manifest.js';

/**
 * The modules every remote and the shell share, ONE copy for the whole page: remotes leave them as bare
 * imports (`import { useState } from 'react'`), the shell's build makes one module of each, and the page's
 * import map maps each specifier to it (with its hash).
 */
export const SHARED_MODULES = Object.freeze({
  react: 'react',
  'react/jsx-runtime': 'react-jsx-runtime',
  'react-dom': 'react-dom',
  'react-dom/client': 'react-dom-client',
  '@gatehouse/policy': 'gatehouse-policy',
  '@gatehouse/remote': 'gatehouse-remote',
  '@gatehouse/shell': 'gatehouse-shell',
  '@gatehouse/react': 'gatehouse-react',
} as const);

/** The package each shared module comes from. */
export const packageOf = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;

const isShared = (id: string) => Object.hasOwn(SHARED_MODULES, id);

/** Resolve workspace packages to their TypeScript sources, everything else as a browser build would. */
const CONDITIONS = ['gatehouse-source', 'browser', 'module', 'production', 'import', 'default'];

/** The `gatehouse` key of a remote's package.json: what its manifest says besides the files. */
export interface RemotePackage {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly gatehouse: {
    readonly routes: (string | ManifestRoute)[];
    readonly auth: 'public' | 'optional' | 'required';
    readonly roles?: string[];
    readonly permissions?: string[];
    /** The upstreams the remote calls (`@gatehouse/shell/upstreams` holds its API client to them). */
    readonly upstreams?: string[];
    /** `bff`: served only by the BFF, to sessions allowed to load it; default: the remotes origin. */
    readonly serve?: 'remotes' | 'bff';
    /** A Module Federation 2 container (`@module-federation/vite`), loaded through `@gatehouse/federation`. */
    readonly federation?: boolean;
  };
}

/** Reads a remote package (`web/remotes/<name>`) and what its manifest will say. */
export function readRemotePackage(dir: string): {
  pkg: RemotePackage;
  description: RemoteDescription;
  serve: 'remotes' | 'bff';
  federation: boolean;
} {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as RemotePackage;
  const name = pkg.name.replace(/^@gatehouse\/shop-remote-/, '');
  const shared: Record<string, string> = {};
  const declared = { ...pkg.dependencies, ...pkg.peerDependencies };
  for (const specifier of Object.keys(SHARED_MODULES)) {
    const from = packageOf(specifier);
    if (declared[from]) shared[from] = declared[from];
  }
  const { routes, auth, roles, permissions, upstreams } = pkg.gatehouse;
  return {
    pkg,
    serve: pkg.gatehouse.serve ?? 'remotes',
    federation: pkg.gatehouse.federation === true,
    description: {
      name,
      version: pkg.version,
      routes,
      auth,
      ...(roles ? { roles } : {}),
      ...(permissions ? { permissions } : {}),
      ...(upstreams ? { upstreams } : {}),
      shared,
    },
  };
}

const common = (root: string, outDir: string): InlineConfig => ({
  root,
  configFile: false,
  logLevel: 'warn',
  mode: 'production',
  base: './',
  publicDir: false,
  resolve: { conditions: CONDITIONS },
  define: { 'process.env.NODE_ENV': '"production"' },
  // Production JSX whatever NODE_ENV the building process has (Vitest sets "test", which would pick jsxDEV).
  oxc: { jsx: { runtime: 'automatic', importSource: 'react', development: false } },
  build: {
    outDir,
    emptyOutDir: false,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    manifest: false,
    modulePreload: false,
    reportCompressedSize: false,
    copyPublicDir: false,
  },
});

/**
 * The Vite configuration of one remote (`web/remotes/<name>`): `src/index.tsx` (or `src/index.ts`) as an ES module exporting
 * `remote`, React and the Gatehouse runtime left as bare imports (the shell provides them), everything else
 * (the shop's UI kit included) bundled, file names hashed. Its own `vite.config.ts` is just this.
 *
 * @example
 * export default remoteViteConfig(import.meta.dirname);
 */
export function remoteViteConfig(dir: string): InlineConfig {
  const { description } = readRemotePackage(dir);
  const base = common(dir, join(dir, 'dist'));
  return {
    ...base,
    build: {
      ...base.build,
      emptyOutDir: true,
      rolldownOptions: {
        // `src/index.tsx` (React), or `src/index.ts` for a remote without JSX (the help web component).
        input: {
          [description.name]: join(
            dir,
            existsSync(join(dir, 'src/index.ts')) ? 'src/index.ts' : 'src/index.tsx',
          ),
        },
        preserveEntrySignatures: 'strict',
        external: isShared,
        output: {
          format: 'es',
          entryFileNames: '[name]-[hash].js',
          chunkFileNames: 'chunks/[name]-[hash].js',
        },
      },
    },
  };
}

/**
 * The Vite configuration of a Module Federation remote (`"federation": true` in its package.json's
 * `gatehouse`): `@module-federation/vite` builds `remoteEntry.js`, an ES-module container exposing
 * `./remote` (`src/index.tsx`, which exports `remote`), with React and React DOM as MF shared singletons the
 * shell provides (no fallback copy is bundled). Every file it writes is pinned in the manifest like any remote's.
 *
 * @example
 * export default await federatedRemoteViteConfig(import.meta.dirname);
 */
export async function federatedRemoteViteConfig(dir: string): Promise<InlineConfig> {
  const { description } = readRemotePackage(dir);
  // Loaded here, not at the top: only a federated remote's build needs the plugin. It turns itself off under
  // a test runner (VITEST, NODE_ENV=test) unless told not to; this is a production build wherever it runs.
  process.env.MFE_VITE_NO_TEST_ENV_CHECK ??= 'true';
  const { federation } = await import('@module-federation/vite');
  const base = common(dir, join(dir, 'dist'));
  // No fallback copy (`import: false`): the shell's React is the page's one React, as for every remote.
  const singleton = {
    singleton: true,
    requiredVersion: description.shared.react ?? '*',
    import: false as const,
  };
  return {
    ...base,
    plugins: [
      federation({
        name: description.name,
        filename: 'remoteEntry.js',
        exposes: { './remote': './src/index.tsx' },
        shared: {
          react: singleton,
          'react/jsx-runtime': singleton,
          'react-dom': singleton,
          'react-dom/client': singleton,
        },
        dts: false,
        manifest: true,
      }),
    ],
    build: { ...base.build, emptyOutDir: true, rolldownOptions: { input: {} } },
  };
}

const require = createRequire(import.meta.url);

/** One entry module per shared specifier: a CommonJS package (React) re-exported with its names. */
function sharedEntries(): Plugin {
  const PREFIX = '\0gatehouse-shared:';
  return {
    name: 'gatehouse-shared-entries',
    resolveId: (id) => (id.startsWith('gatehouse-shared:') ? `\0${id}` : undefined),
    load(id) {
      if (!id.startsWith(PREFIX)) return undefined;
      const specifier = id.slice(PREFIX.length);
      if (specifier.startsWith('@gatehouse/')) return `export * from '${specifier}';`;
      const names = Object.keys(require(specifier)).filter((key) => /^[A-Za-z_$][\w$]*$/.test(key));
      return `import m from '${specifier}';\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`;
    },
  };
}

/** The shared modules (React, React DOM, the Gatehouse runtime), built once into `<outDir>/vendor/`. */
export function sharedViteConfig(root: string, outDir: string): InlineConfig {
  const base = common(root, outDir);
  return {
    ...base,
    plugins: [sharedEntries()],
    build: {
      ...base.build,
      rolldownOptions: {
        input: Object.fromEntries(
          Object.entries(SHARED_MODULES).map(([specifier, file]) => [file, `gatehouse-shared:${specifier}`]),
        ),
        preserveEntrySignatures: 'strict',
        output: {
          format: 'es',
          entryFileNames: 'vendor/[name]-[hash].js',
          chunkFileNames: 'vendor/chunk-[hash].js',
        },
      },
    },
  };
}

/** The shell application (`web/shell/src/main.tsx`), importing the shared modules by their bare names. */
export function shellViteConfig(root: string, outDir: string): InlineConfig {
  const base = common(root, outDir);
  return {
    ...base,
    build: {
      ...base.build,
      rolldownOptions: {
        input: { main: join(root, 'src/main.tsx') },
        external: isShared,
        output: {
          format: 'es',
          entryFileNames: '[name]-[hash].js',
          chunkFileNames: 'chunks/[name]-[hash].js',
        },
      },
    },
  };
}
