import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENVIRONMENT_VARIABLES } from '@gatehouse/bff';
import { demoUsers } from '@gatehouse/dev-idp';
import {
  type AuthMessageType,
  expiryReasons,
  logoutReasons,
  problemCodes,
  problemTable,
  telemetryAuthStates,
  telemetryEventTypes,
  telemetryFields,
} from '@gatehouse/policy';
import type { AuthEventMap } from '@gatehouse/remote';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';
import { shopUpstreams } from '../../examples/shop/src/shop-upstreams.js';
import { repoRoot } from './support/repo.js';

const page = readFileSync(join(repoRoot, 'docs/http-contract.md'), 'utf8');

/** The page's `## ` sections by their anchor (`api-proxy`, `errors`…), each with its `###` subsections. */
const sections = new Map<string, string>();
{
  const slugger = new GithubSlugger();
  for (const part of page.split(/^(?=## )/m).slice(1)) {
    sections.set(slugger.slug((part.split('\n')[0] as string).slice(3)), part);
  }
}
const section = (anchor: string): string => {
  const text = sections.get(anchor);
  if (text === undefined) throw new Error(`docs/http-contract.md has no section #${anchor}`);
  return text;
};

// Every type of the closed lists, checked complete by the compiler.
const authMessageTypes = Object.keys({
  'logged-out': true,
  'session-expired': true,
  'session-extended': true,
  'logged-in': true,
  'identity-changed': true,
} satisfies Record<AuthMessageType, true>);
const shellEvents = Object.keys({
  'auth:logged-in': true,
  'auth:logged-out': true,
  'auth:session-expired': true,
  'auth:identity-changed': true,
  'auth:session-expiring': true,
} satisfies Record<keyof AuthEventMap, true>);

describe('docs/http-contract.md', () => {
  it('lists every problem code with its status and title (the table of @gatehouse/policy)', () => {
    const errors = section('errors');
    for (const code of problemCodes) {
      const { status, title } = problemTable[code];
      expect(errors, code).toContain(`| \`${code}\` | ${status} | ${title} |`);
    }
    const rows = errors.match(/^\| `[a-z_]+` \| \d{3} \|/gm) ?? [];
    expect(rows).toHaveLength(problemCodes.length);
  });

  it('names every auth message, logout reason and expiry reason, and every shell auth event', () => {
    const browser = section('browser-side');
    for (const type of authMessageTypes) expect(browser, type).toContain(`"type": "${type}"`);
    for (const reason of [...logoutReasons, ...expiryReasons])
      expect(browser, reason).toContain(`\`${reason}\``);
    for (const event of shellEvents) expect(browser, event).toContain(`| \`${event}\` |`);
  });

  it('names every telemetry field, event type and auth state', () => {
    const endpoints = section('auth-endpoints');
    for (const name of [...telemetryFields, ...telemetryEventTypes, ...telemetryAuthStates]) {
      expect(endpoints, name).toContain(`\`${name}\``);
    }
  });

  it('names every environment variable the BFF reads', () => {
    const standalone = section('running-the-bff-on-its-own');
    for (const name of ENVIRONMENT_VARIABLES) expect(standalone, name).toContain(`\`${name}\``);
  });

  it('lists the demo users as the dev identity provider has them', () => {
    const users = section('demo-users');
    for (const user of demoUsers) {
      const row = users.split('\n').find((line) => line.startsWith(`| ${user.login} |`));
      expect(row, user.login).toBeDefined();
      expect(row).toContain(`\`${user.sub}\``);
      for (const role of user.roles) expect(row).toContain(role);
      for (const tenant of user.tenants)
        expect(row).toContain(`${tenant.id} (\`${tenant.roles.join(', ')}\`)`);
      expect(row).toContain(`${user.locale}, ${user.currency}`);
    }
  });

  it('lists every route of the reference shop’s remotes, and every API the BFF proxies for it', () => {
    const routes = section('shell-routes');
    const remotes = join(repoRoot, 'examples/shop/web/remotes');
    for (const name of readdirSync(remotes)) {
      const manifest = JSON.parse(readFileSync(join(remotes, name, 'package.json'), 'utf8')) as {
        gatehouse: { routes: Array<string | { path: string; children: Array<{ path: string }> }> };
      };
      for (const route of manifest.gatehouse.routes) {
        const paths =
          typeof route === 'string' ? [route] : route.children.map((child) => `${route.path}/${child.path}`);
        for (const path of paths) expect(routes, path).toContain(`\`${path}\``);
      }
    }
    const apis = section('domain-apis');
    for (const name of Object.keys(shopUpstreams())) expect(apis, name).toContain(`/api/${name}`);
  });
});
