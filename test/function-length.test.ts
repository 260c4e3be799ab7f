// Functions in packages/*/src stay within about 80 lines unless a `long-function:` comment says why.
import { describe, expect, it } from 'vitest';
import { longFunctions, longFunctionsIn, maxLines, packageSources } from './function-length.js';

/** A function whose body holds `statements` lines, so `statements + 2` lines in all. */
const fn = (head: string, statements: number, filler = '') =>
  `${head} {\n${Array.from({ length: statements }, (_, i) => `  total += ${i};${filler}`).join('\n')}\n}\n`;

describe(`functions in packages/*/src are at most ${maxLines} lines`, () => {
  it('flags an 81-line function and lets an 80-line one be', () => {
    const long = fn('export function long(total: number)', maxLines - 1);
    const fits = fn('export function fits(total: number)', maxLines - 2);
    expect(longFunctionsIn('/fixture/long.ts', long)).toEqual([
      expect.objectContaining({ name: 'long', lines: maxLines + 1 }),
    ]);
    expect(longFunctionsIn('/fixture/fits.ts', fits)).toEqual([]);
  });

  it('counts arrows, methods and nested functions, and leaves blank and comment lines out', () => {
    const arrow = fn('const handle = (total: number) =>', maxLines - 1);
    const method = `class A {\n${fn('  run(total: number)', maxLines - 1)}}\n`;
    const commented = fn('function quiet(total: number)', maxLines - 2, '\n  // why\n');
    expect(longFunctionsIn('/fixture/arrow.ts', arrow).map((f) => f.name)).toEqual(['handle']);
    expect(longFunctionsIn('/fixture/method.ts', method).map((f) => f.name)).toEqual(['run']);
    expect(longFunctionsIn('/fixture/commented.ts', commented)).toEqual([]);
    const documented = `function documented() {\n${Array.from(
      { length: maxLines - 2 },
      (_, i) => `  /**\n   * Why.\n   */\n  const a${i} = ${i};\n`,
    ).join('')}}\n`;
    expect(longFunctionsIn('/fixture/documented.ts', documented)).toEqual([]);
    // A template literal with substitutions holds all of its lines.
    const template = `function page(name: string) {\n  return \`\n${'  \u0024{name}\n'.repeat(maxLines)}\`;\n}\n`;
    expect(longFunctionsIn('/fixture/template.ts', template)).toEqual([
      expect.objectContaining({ name: 'page', lines: maxLines + 4 }),
    ]);
    // The outer function is as long as what it holds.
    const outer = `function outer() {\n  ${fn('const inner = (total: number) =>', maxLines - 1)}}\n`;
    expect(longFunctionsIn('/fixture/outer.ts', outer).map((f) => f.name)).toEqual(['outer', 'inner']);
  });

  it('takes the reason from a `long-function:` comment just above, and only with a reason', () => {
    const body = fn('export const handle = (total: number) =>', maxLines);
    const [explained] = longFunctionsIn(
      '/fixture/explained.ts',
      `/**\n * Does it.\n * long-function: the hot path, 2x slower split (bench/x.ts)\n */\n${body}`,
    );
    expect(explained?.reason).toBe('the hot path, 2x slower split (bench/x.ts)');
    const [bare] = longFunctionsIn('/fixture/bare.ts', `// long-function:\n${body}`);
    expect(bare?.reason).toBeUndefined();
    // A comment further up, not just above the function, does not count.
    const [far] = longFunctionsIn(
      '/fixture/far.ts',
      `// long-function: the hot path, measured\nconst x = 1;\n${body}`,
    );
    expect(far?.reason).toBeUndefined();
  });

  it('reads every package', () => {
    const packages = new Set(packageSources().map((file) => file.match(/packages[/\\]([^/\\]+)/)?.[1]));
    expect([...packages]).toEqual(
      expect.arrayContaining(['api', 'bff', 'cli', 'dev-idp', 'policy', 'react', 'remote', 'shell']),
    );
  });

  it('has no longer function without a comment that says why', () => {
    const unexplained = longFunctions()
      .filter((f) => !f.reason)
      .map((f) => `${f.where} ${f.name}: ${f.lines} lines`);
    expect(unexplained).toEqual([]);
  });
});
