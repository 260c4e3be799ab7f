/// <reference types="node" />
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** The goal for what the plugin adds to a shell, gzip. */
const BUDGET = 1_500;

async function gzip(contents: string): Promise<{ gzip: number; inputs: string[] }> {
  const result = await build({
    stdin: { contents, resolveDir: new URL('.', import.meta.url).pathname, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['gatehouse-source'],
    external: ['@module-federation/runtime'],
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const inputs = Object.entries(Object.values(result.metafile.outputs)[0]!.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
  return { gzip: gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length, inputs };
}

describe('bundle size', () => {
  it(`the guard plugin and loader add at most ${BUDGET} B gzip to createShell, nothing to a shell without them`, async () => {
    const shell = await gzip("export { createShell } from '@gatehouse/shell';");
    const federated = await gzip(
      "export { createShell } from '@gatehouse/shell'; export { guardFederation, federatedLoader } from '@gatehouse/federation';",
    );
    console.log(`@gatehouse/federation adds ${federated.gzip - shell.gzip} B gzip to createShell`);
    expect(federated.gzip - shell.gzip).toBeLessThanOrEqual(BUDGET);
    expect(federated.inputs.join('\n')).toMatch(/packages\/federation\/src\/plugin\.ts/);
    expect(shell.inputs.join('\n')).not.toMatch(/packages\/federation\//);
  });
});
