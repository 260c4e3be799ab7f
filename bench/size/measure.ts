// Bundles one entry module the way an app's build would, and weighs it: esbuild (ESM, browser platform,
// minified, tree-shaken, production defines, no legal comments), then gzip -9. Gatehouse packages are bundled
// from their sources (the `gatehouse-source` export condition, as the tests do), so no build is needed first.
import { createRequire } from 'node:module';
import { constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ROOT_DIR } from '../lib/paths.js';
import type { SizeTarget } from './targets.js';

/** Bytes of one bundle. */
export interface Size {
  readonly minified: number;
  readonly gzip: number;
}

/** Bundles `target` and answers its minified and gzip -9 bytes. */
export async function measure({ code, external = [] }: SizeTarget): Promise<Size> {
  const result = await build({
    stdin: { contents: code, resolveDir: ROOT_DIR, loader: 'js' },
    bundle: true,
    minify: true,
    treeShaking: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['gatehouse-source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    external: [...external],
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0]?.contents;
  if (!bytes) throw new Error(`esbuild wrote nothing for ${code}`);
  return { minified: bytes.length, gzip: gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length };
}

/** The installed version of `pkg` (from the repository's root). */
export function installedVersion(pkg: string): string {
  const require = createRequire(`${ROOT_DIR}package.json`);
  return (require(`${pkg}/package.json`) as { version: string }).version;
}
