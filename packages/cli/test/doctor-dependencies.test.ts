import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convergeVersion, doctor, main, parseNpmAudit } from '../src/index.js';

const sri = (text: string) => `sha384-${createHash('sha384').update(text).digest('base64')}`;
const ORIGIN = 'https://cdn.example';
const auditFile = fileURLToPath(new URL('./fixtures/audit/orders-npm-audit.json', import.meta.url));
const integrity = (text: string) => `sha512-${createHash('sha512').update(text).digest('base64')}`;
const dep = (name: string, version: string, range?: string) => ({
  name,
  version,
  integrity: integrity(`${name}@${version}`),
  ...(range ? { range } : {}),
});

/** Three built remotes that disagree about their dependencies, as their signed records say. */
function remotes(change: (list: Record<string, unknown>[]) => void = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-doctor-deps-'));
  const list: Record<string, unknown>[] = ['orders', 'cart', 'admin'].map((name) => {
    const code = `export const ${name} = 1;\n`;
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'entry.js'), code);
    return {
      name,
      version: '1.0.0',
      entry: `${ORIGIN}/${name}/entry.js`,
      integrity: sri(code),
      routes: [`/${name}`],
      auth: 'public',
      shared: { react: '^19.0.0' },
    };
  });
  list[0]!.dependencies = [dep('lodash', '4.17.20', '^4.17.0'), dep('react', '19.2.0', '^19.0.0')];
  list[1]!.dependencies = [dep('lodash', '4.17.21', '^4.17.21'), dep('react', '19.2.0', '^19.0.0')];
  list[2]!.dependencies = [dep('react', '19.2.0', '^19.0.0')];
  change(list);
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({ remotes: list }));
  return { manifest, roots: { [`${ORIGIN}/`]: dir } };
}

const check = (change?: Parameters<typeof remotes>[0], extra: Partial<Parameters<typeof doctor>[0]> = {}) => {
  const { manifest, roots } = remotes(change);
  return doctor({ manifest, roots, allowedOrigins: [ORIGIN], ...extra });
};

describe('gatehouse doctor: the dependency picture across remotes', () => {
  it('reports one library at two versions, with the version to converge on, as a warning', async () => {
    const report = await check();
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([
      {
        remote: 'orders',
        check: 'duplicate',
        message: 'lodash is shipped at 2 versions: 4.17.20 (orders), 4.17.21 (cart); converge on 4.17.21',
      },
    ]);
    expect(report.notes).toContainEqual(expect.stringMatching(/advisories not checked/));
  });

  it('fails under --strict (CI)', async () => {
    const report = await check(undefined, { strict: true });
    expect(report.ok).toBe(false);
    expect(report.problems.map((problem) => problem.check)).toEqual(['duplicate']);
  });

  it('reports a singleton no single version can satisfy, and one a remote would bundle unshared', async () => {
    const report = await check((list) => {
      list[2]!.dependencies = [dep('react', '18.3.1', '^18.2.0')];
      list[1]!.shared = {};
    });
    expect(report.warnings).toContainEqual({
      remote: 'orders, cart, admin',
      check: 'singleton',
      message:
        'react cannot be shared: 19.2.0 (orders, cart), 18.3.1 (admin), and no version satisfies every range (orders ^19.0.0, cart ^19.0.0, admin ^18.2.0)',
    });
    expect(report.warnings).toContainEqual({
      remote: 'cart',
      check: 'singleton',
      message: "react 19.2.0 is a singleton but not in cart's shared map: it would bundle its own copy",
    });
  });

  it('flags versions with published advisories from recorded `npm audit --json` output', async () => {
    const report = await check(undefined, { audit: { files: { orders: auditFile } }, strict: true });
    const advisories = report.problems.filter((problem) => problem.check === 'advisory');
    expect(advisories).toEqual([
      {
        remote: 'orders',
        check: 'advisory',
        message:
          'lodash 4.17.20: high advisory "Command Injection in lodash" https://github.com/advisories/GHSA-35jh-r3h4-6jhm (vulnerable: <4.17.21)',
      },
      expect.objectContaining({ remote: 'orders', message: expect.stringMatching(/ReDoS/) }),
    ]);
    // The same audit applied to every remote: cart's 4.17.21 is not concerned.
    const all = await check(undefined, { audit: { files: { '*': auditFile } } });
    expect(all.warnings.filter((w) => w.check === 'advisory').map((w) => w.remote)).toEqual([
      'orders',
      'orders',
    ]);
  });

  it('says so when an audit file is not npm audit output, or the registry does not answer', async () => {
    const { manifest } = remotes();
    const report = await check(undefined, { audit: { files: { orders: manifest } } });
    expect(report.notes).toContainEqual(expect.stringMatching(/not `npm audit --json` output/));
  });

  it('refuses a malformed dependency record', async () => {
    const report = await check((list) => {
      list[0]!.dependencies = [{ name: 'lodash' }];
    });
    expect(report.problems).toContainEqual({
      remote: 'orders',
      check: 'dependencies',
      message: 'dependencies must be a list of { name, version, integrity? }',
    });
  });

  it('converges on the highest recorded version every range allows', () => {
    expect(convergeVersion(['18.3.1', '19.2.0', '19.1.0'], ['>=18', '^19.0.0'])).toBe('19.2.0');
    expect(convergeVersion(['18.3.1', '19.2.0'], ['^18.0.0', '^19.0.0'])).toBeUndefined();
  });

  it('reads npm audit output and refuses anything else', () => {
    expect(parseNpmAudit(JSON.parse(readFileSync(auditFile, 'utf8')))).toHaveLength(2);
    expect(() => parseNpmAudit({ error: { code: 'ENOAUDIT' } })).toThrow(/ENOAUDIT/);
  });
});

describe('gatehouse doctor --audit (the registry asked live)', () => {
  // A registry on loopback: it answers the bulk advisory request as npm's does, or refuses it (405).
  let answer: 'advisories' | 'refuse' = 'advisories';
  let asked: unknown;
  const registry = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      asked = JSON.parse(body || '{}');
      if (answer === 'refuse') {
        response.writeHead(405, 'Method Not Allowed').end();
        return;
      }
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          lodash: [
            {
              id: 1106913,
              url: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm',
              title: 'Command Injection in lodash',
              severity: 'high',
              vulnerable_versions: '<4.17.21',
            },
          ],
        }),
      );
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(registry.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => registry.close(() => resolve())));

  it('asks for every recorded version and flags those an advisory concerns', async () => {
    answer = 'advisories';
    const report = await check(undefined, { audit: { live: true, registry: url } });
    expect(asked).toEqual({ lodash: ['4.17.20', '4.17.21'], react: ['19.2.0'] });
    expect(report.warnings.filter((w) => w.check === 'advisory')).toEqual([
      expect.objectContaining({
        remote: 'orders',
        message: expect.stringMatching(/^lodash 4\.17\.20: high/),
      }),
    ]);
  });

  it('says the advisory service did not answer, and checks the rest', async () => {
    answer = 'refuse';
    const report = await check(undefined, { audit: { live: true, registry: url } });
    expect(report.notes).toContainEqual(
      expect.stringMatching(/the registry's advisory service did not answer \(.* 405 Method Not Allowed\)/),
    );
    expect(report.warnings.map((w) => w.check)).toEqual(['duplicate']);
  });
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('gatehouse doctor --strict on the command line', () => {
  it('prints the findings and exits 1 under --strict, 0 without', async () => {
    const { manifest, roots } = remotes();
    const args = ['doctor', '--manifest', manifest, '--allowed-origin', ORIGIN];
    for (const [url, dir] of Object.entries(roots)) args.push('--root', `${url}=${dir}`);
    args.push('--audit-file', `orders=${auditFile}`);
    const lenient = { out: new Capture(), err: new Capture() };
    expect(await main(args, lenient)).toBe(0);
    expect(lenient.out.text).toMatch(/! \[duplicate\] orders: lodash .*converge on 4\.17\.21/);
    expect(lenient.out.text).toMatch(/3 warning\(s\) \(--strict fails on them\)/);
    const strict = { out: new Capture(), err: new Capture() };
    expect(await main([...args, '--strict'], strict)).toBe(1);
    expect(strict.out.text).toMatch(/✖ \[advisory\] orders: lodash 4\.17\.20: high advisory/);
  });
});
