import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cliDir = join(root, 'packages/cli');

/** Runs a command to its end. */
const runToEnd = (file: string, args: string[]) =>
  spawnSync(process.execPath, [file, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

/** Starts a long-running command, collecting what it prints. */
function start(file: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [file, ...args], { cwd: root, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return { child, output: () => output };
}

describe('the gatehouse bin, as npm links it (npx gatehouse)', () => {
  it('is linked by npm ci to the committed bin/gatehouse.js, which answers --help', () => {
    const linked = join(root, 'node_modules/.bin/gatehouse');
    expect(existsSync(linked)).toBe(true);
    expect(realpathSync(linked)).toBe(join(cliDir, 'bin/gatehouse.js'));
    const help = runToEnd(linked, ['--help']);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: gatehouse <command>/);
  });

  it('is published: the bin and what it runs are in the package files', () => {
    const pkg = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      files: string[];
    };
    expect(pkg.bin).toEqual({ gatehouse: './bin/gatehouse.js' });
    expect(pkg.files).toEqual(expect.arrayContaining(['bin', 'dist']));
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--workspace', 'packages/cli'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(pack.status).toBe(0);
    const [report] = JSON.parse(pack.stdout) as { files: { path: string; mode: number }[] }[];
    const bin = report!.files.find((file) => file.path === 'bin/gatehouse.js');
    expect(bin).toBeDefined();
    expect(bin!.mode & 0o111).not.toBe(0);
    // The compiled entry it prefers is published whenever the package is built (npm run build).
    if (existsSync(join(cliDir, 'dist/bin.js')))
      expect(report!.files.map((file) => file.path)).toContain('dist/bin.js');
  });

  // A copy of the package without dist/ (as on a fresh clone), beside the repository's node_modules: the
  // repository's own dist/ is left alone, whatever other test files build meanwhile.
  describe('with nothing built (runs src/bin.ts through tsx)', () => {
    let copy: string;
    let bin: string;
    beforeAll(() => {
      copy = mkdtempSync(join(tmpdir(), 'gh-cli-bin-'));
      for (const part of ['bin', 'src', 'package.json'])
        cpSync(join(cliDir, part), join(copy, 'packages/cli', part), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
      bin = join(copy, 'packages/cli/bin/gatehouse.js');
    });
    afterAll(() => rmSync(copy, { recursive: true, force: true }));

    it('answers --help and refuses an unknown command with exit code 2', () => {
      expect(existsSync(join(copy, 'packages/cli/dist'))).toBe(false);
      const help = runToEnd(bin, ['--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^Usage: gatehouse <command>/);
      const wrong = runToEnd(bin, ['launch']);
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toMatch(/Unknown command "launch"/);
    });

    it('runs gatehouse dev-idp: discovery answers, and Ctrl-C stops it with exit code 0', async () => {
      const port = await freePort();
      const idp = start(bin, ['dev-idp', '--port', String(port)]);
      const exited = new Promise<number | null>((resolve) => idp.child.once('exit', resolve));
      try {
        const url = `http://localhost:${port}/.well-known/openid-configuration`;
        let discovery: { issuer?: string } | undefined;
        for (const deadline = Date.now() + 45_000; !discovery; ) {
          if (idp.child.exitCode !== null || Date.now() > deadline)
            throw new Error(`dev-idp did not answer:\n${idp.output()}`);
          discovery = await fetch(url).then(
            (response) => (response.ok ? (response.json() as Promise<{ issuer: string }>) : undefined),
            () => undefined,
          );
          if (!discovery) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(discovery.issuer).toBe(`http://localhost:${port}`);
        expect(idp.output()).toMatch(/Dev identity provider: http:\/\/localhost:\d+/);
      } finally {
        idp.child.kill('SIGINT');
      }
      expect(await exited).toBe(0);
    }, 60_000);
  });
});
