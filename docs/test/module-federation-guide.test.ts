import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const guide = readFileSync(join(root, 'docs/bring-your-module-federation-app.md'), 'utf8');

/** The guide's TypeScript blocks, each named by its first line (`// host/main.ts`). */
const blocks = [...guide.matchAll(/```ts\n\/\/ (\S+)\n([\s\S]*?)```/g)].map((m) => ({
  file: m[1]!,
  code: m[2]!,
}));

describe('docs/bring-your-module-federation-app.md', () => {
  it('compiles every code block against this repository’s packages, strictly', () => {
    expect(blocks.map((b) => b.file)).toEqual([
      'remote/vite.config.ts',
      'host/plain.ts',
      'remote/src/remote.ts',
      'remote/vite.config.federated.ts',
      'host/main.ts',
    ]);
    // In the shop's folder, so `vite` and `@module-federation/vite` resolve as for the shop's own build, and
    // the workspace packages from their sources.
    const dir = mkdtempSync(join(root, 'examples/shop/.guide-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
      const files = blocks.map(({ file, code }) => {
        const path = join(dir, file);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, code);
        return path;
      });
      const program = ts.createProgram(files, {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        customConditions: ['gatehouse-source'],
        lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
        types: [],
        strict: true,
        noUncheckedIndexedAccess: true,
        noEmit: true,
        skipLibCheck: true,
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .map(
          (d) =>
            `${d.file?.fileName.slice(dir.length) ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
        );
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // A whole program with React's and Vite's types: seconds alone, much longer on a busy machine.
  }, 120_000);

  it('shows a manifest entry with only the keys the shell accepts', () => {
    const json = /```json\n([\s\S]*?)```/.exec(guide)![1]!;
    const manifest = JSON.parse(json) as Record<string, unknown>;
    const keys = ['name', 'version', 'entry', 'integrity', 'modules', 'routes', 'auth', 'shared'];
    expect(Object.keys(manifest)).toEqual(keys);
  });
});
