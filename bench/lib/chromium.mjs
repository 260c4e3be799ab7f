// `launchChromium()` of @gatehouse/testing (the system Chromium through playwright-core, with the repository's
// flags, never a downloaded browser) for plain Node: that package ships TypeScript only, so its chromium.ts is
// bundled here with esbuild (vitest, which its service gates import, is stubbed out), and the esbuild of the
// browser packages bundles the page's runtime and the remote the same way the shell's tests do.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const requireFromShell = createRequire(new URL('../../packages/shell/package.json', import.meta.url));
/** esbuild, a dev dependency of the browser packages (not of the root). */
export const esbuild = requireFromShell('esbuild');
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Imports packages/testing's `launchChromium` and `chromiumPath`. */
export async function loadTesting() {
  const outdir = fileURLToPath(new URL('../.tmp/testing/', import.meta.url));
  mkdirSync(outdir, { recursive: true });
  const outfile = `${outdir}chromium.mjs`;
  await esbuild.build({
    stdin: {
      contents:
        "export { launchChromium } from './packages/testing/src/chromium.ts';\nexport { chromiumPath } from './packages/testing/src/services.ts';",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['playwright-core'],
    outfile,
    logLevel: 'silent',
    plugins: [
      {
        name: 'no-vitest',
        setup(build) {
          build.onResolve({ filter: /^vitest$/ }, () => ({ path: 'vitest', namespace: 'stub' }));
          build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
            contents: 'export const describe = () => {}; export const it = () => {};',
            loader: 'js',
          }));
        },
      },
    ],
  });
  return import(pathToFileURL(outfile).href);
}

/** Bundles a browser module (ESM, the Gatehouse packages from their sources) and answers its bytes. */
export async function bundleForBrowser(entry) {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['gatehouse-source'],
    minify: true,
    write: false,
    logLevel: 'silent',
    outdir: '/out',
  });
  return result.outputFiles[0].contents;
}
