import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// This package's tsconfig has no Node types (`types: []`), on purpose; the test only needs the web-standard
// CompressionStream that Node 20 has, declared here as narrowly as it is used.
declare const CompressionStream: new (format: 'gzip') => { readable: unknown; writable: unknown };
declare const Response: new (body: unknown) => { arrayBuffer(): Promise<ArrayBuffer>; body: unknown };
declare const Blob: new (parts: Uint8Array[]) => { stream(): { pipeThrough(t: unknown): unknown } };
declare const URL: new (path: string, base: string) => { pathname: string };
declare global {
  interface ImportMeta {
    readonly url: string;
  }
}

async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function bundle(contents: string): Promise<Uint8Array> {
  const result = await build({
    stdin: { contents, resolveDir: new URL('../src', import.meta.url).pathname, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.contents;
}

// The browser runtime's whole budget is 6 KB gzip; the policy may take a small share of it.
describe('bundle size in the browser', () => {
  it('decide + can stay under 1 KB gzip', async () => {
    const size = await gzipSize(await bundle("export { decide, can } from './index.ts';"));
    expect(size).toBeLessThan(1024);
  });

  it('the whole package stays under 2 KB gzip', async () => {
    const size = await gzipSize(await bundle("export * from './index.ts';"));
    expect(size).toBeLessThan(2048);
  });
});
