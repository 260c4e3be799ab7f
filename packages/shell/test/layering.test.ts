/// <reference types="node" />
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const packages = new URL('../../', import.meta.url).pathname;
const sources = (name: string) =>
  readdirSync(join(packages, name, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(packages, name, 'src', file));
const imports = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)].map((m) => m[1]!);

describe('layering: policy ← remote ← shell ← federation, browser only', () => {
  it.each([
    ['shell', ['@gatehouse/policy', '@gatehouse/remote']],
    ['remote', ['@gatehouse/policy']],
    ['federation', ['@gatehouse/shell', '@gatehouse/remote', '@module-federation/runtime']],
    ['single-spa', ['@gatehouse/shell', '@gatehouse/remote', '@gatehouse/policy']],
  ])('%s imports only %j and its own files', (name, allowed) => {
    const files = sources(name);
    // The files were found and their imports read: the package does import the first one allowed.
    expect(files.flatMap(imports)).toContain(allowed[0]);
    for (const file of files)
      for (const specifier of imports(file))
        expect(
          specifier.startsWith('./') ||
            specifier.startsWith('../') ||
            // A package's entry points (`@gatehouse/remote/native`) are in its layer.
            allowed.some((name) => specifier === name || specifier.startsWith(`${name}/`)),
          `${file}: ${specifier}`,
        ).toBe(true);
  });

  it('inside the shell, the wiring (shell.ts) imports its parts and no part imports the wiring', () => {
    const wiring = join(packages, 'shell', 'src', 'shell.ts');
    expect(imports(wiring)).toEqual(
      expect.arrayContaining(['./session-sync.js', './region.js', './links.js']),
    );
    const parts = sources('shell').filter((file) => !/[/\\](shell|index)\.ts$/.test(file));
    expect(parts.map((file) => file.replace(/.*[/\\]/, ''))).toEqual(
      expect.arrayContaining(['session-sync.ts', 'region.ts', 'links.ts']),
    );
    for (const file of parts)
      for (const specifier of imports(file)) expect(specifier, file).not.toMatch(/^\.\/(shell|index)\.js$/);
  });

  it('the sources compile with the DOM and no Node types (`types: []`)', () => {
    const program = ts.createProgram([...sources('shell'), ...sources('remote')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      customConditions: ['gatehouse-source'],
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
      types: [],
      skipLibCheck: true,
      noUncheckedIndexedAccess: true,
      verbatimModuleSyntax: true,
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  }, 60_000);
});
