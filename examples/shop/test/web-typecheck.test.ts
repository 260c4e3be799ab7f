import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The browser half has its own tsconfig (DOM, no Node types): the repository's typecheck script covers the
// workspaces one level down, so this checks web/ (shell, UI kit, nine remotes).
it('typechecks the shell, the UI kit and the remotes with browser-only types', () => {
  const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
  const project = fileURLToPath(new URL('../web/tsconfig.json', import.meta.url));
  const result = spawnSync(process.execPath, [tsc, '-p', project, '--noEmit', '--pretty', 'false'], {
    encoding: 'utf8',
  });
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
}, 120_000);
