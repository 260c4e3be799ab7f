// The fixture page's code for Chromium: the page's runtime and the remote bundled with esbuild the way the
// shell's tests bundle them (the Gatehouse packages from their sources), and a static origin for the remote.
import { createServer } from 'node:http';
import { freePort } from '@gatehouse/testing';
import { build } from 'esbuild';

/** Bundles a browser module (ESM, minified) and answers its bytes. */
export async function bundleForBrowser(entry: string): Promise<Uint8Array> {
  const result = await build({
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
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild wrote nothing for ${entry}`);
  return output.contents;
}

/** A static origin serving the remote's module with CORS for the shell's origin. */
export async function startRemotesOrigin(
  files: ReadonlyMap<string, Uint8Array>,
  allowOrigin: string,
): Promise<{ origin: string; close(): Promise<void> }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    const file = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    res.setHeader('access-control-allow-origin', allowOrigin);
    res.setHeader('vary', 'origin');
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-cache' }).end(file);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
