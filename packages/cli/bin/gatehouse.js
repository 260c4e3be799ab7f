#!/usr/bin/env node
// The `gatehouse` command, as npm links it. A built or published package runs its compiled `dist/bin.js`;
// a fresh clone of the repository, where nothing is built yet, runs `src/bin.ts` through tsx, with the
// workspace packages resolved to their TypeScript sources (the `gatehouse-source` export condition), so
// `npx gatehouse …` works right after `npm ci`.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const built = new URL('../dist/bin.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  // Resolve hooks run last-registered first: tsx resolves `.js` to `.ts`, then this hook adds the condition.
  register(
    'data:text/javascript,export const resolve = (specifier, context, next) => ' +
      "next(specifier, { ...context, conditions: [...context.conditions, 'gatehouse-source'] });",
  );
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    console.error(
      'gatehouse: this copy is not built (no dist/bin.js) and tsx is not installed to run it from source:\n' +
        '  run `npm ci` at the repository root, or `npm run build`.',
    );
    process.exit(1);
  }
  tsx.register();
  await import(new URL('../src/bin.ts', import.meta.url).href);
}
