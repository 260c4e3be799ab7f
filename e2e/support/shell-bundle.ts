import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Rollup } from 'vite';

/**
 * Bundles `shell-entry.ts` (the real `@gatehouse/shell` runtime, from its TypeScript sources) into one ES
 * module, writes it to `dir/shell.js` and returns its SRI hash, for a page served by the BFF.
 *
 * @example
 * const integrity = await bundleShell(assetsDir); // <script type="module" integrity=…>
 */
export async function bundleShell(dir: string): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    root: fileURLToPath(new URL('..', import.meta.url)),
    resolve: { conditions: ['gatehouse-source', 'browser', 'import', 'module', 'default'] },
    build: {
      write: false,
      minify: false,
      modulePreload: false,
      rollupOptions: {
        input: fileURLToPath(new URL('./shell-entry.ts', import.meta.url)),
        output: { format: 'es', entryFileNames: 'shell.js' },
      },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
  const chunk = outputs.flatMap((output) => output.output).find((file) => file.fileName === 'shell.js');
  if (chunk?.type !== 'chunk') throw new Error('the shell bundle has no shell.js');
  writeFileSync(join(dir, 'shell.js'), chunk.code);
  return `sha384-${createHash('sha384').update(chunk.code).digest('base64')}`;
}
