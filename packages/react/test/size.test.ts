/// <reference types="node" />
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

/**
 * What a React remote bundles from `@gatehouse/react` (React itself external: the app has it anyway): the
 * bindings, `defineRemote` and the error classes of `@gatehouse/remote`, the policy's `can`. Never the shell's
 * code: this package only takes its types.
 */
it('a React remote pays little for the bindings, and nothing of the shell', async () => {
  const result = await build({
    stdin: {
      contents: "export * from '@gatehouse/react';",
      resolveDir: new URL('.', import.meta.url).pathname,
      loader: 'ts',
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['gatehouse-source'],
    external: ['react', 'react-dom', 'react/*', 'react-dom/*'],
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const gzip = gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length;
  console.log(`@gatehouse/react in a remote's bundle: ${gzip} B gzip`);
  const inputs = Object.entries(Object.values(result.metafile.outputs)[0]!.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
  // The bindings themselves are in the bundle: the checks below look at a real list of inputs.
  expect(inputs.filter((path) => path.includes('packages/react/src/')).length).toBeGreaterThan(3);
  expect(inputs.filter((path) => path.includes('packages/shell/'))).toEqual([]);
  expect(inputs.filter((path) => path.includes('testing.ts'))).toEqual([]);
  expect(gzip).toBeLessThan(3500);
});
