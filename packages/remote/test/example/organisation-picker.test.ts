import { createTestContext } from '@gatehouse/remote';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stubWebKitHost } from '../support/webkit-host.js';
import { organisationsOf, pickOrganisation } from './organisation-picker.js';

const grace = {
  id: 'user_grace',
  displayName: 'Grace',
  tenants: [
    { id: 'acme', roles: ['member'], permissions: [] },
    { id: 'globex', roles: ['org_admin'], permissions: [] },
  ],
  activeTenant: 'acme',
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('organisation picker (docs/write-a-remote.md)', () => {
  it('shows the tenant the user works in and offers the others; follows a switch made elsewhere', () => {
    const context = createTestContext({ identity: grace });
    expect(organisationsOf(context)).toEqual({ active: 'acme', others: ['globex'] });
    const seen: unknown[] = [];
    context.onAuthChange((identity) => seen.push(organisationsOf({ identity })));
    context.setIdentity({ ...grace, activeTenant: 'globex' });
    expect(seen).toEqual([{ active: 'globex', others: ['acme'] }]);
    expect(organisationsOf(createTestContext())).toEqual({ active: undefined, others: [] });
  });

  it('posts the switch to the BFF with the CSRF header, and turns a refusal into a message', async () => {
    const sent: Array<[string, RequestInit]> = [];
    const answers = [
      new Response(null, { status: 200 }),
      Response.json({ code: 'forbidden', status: 403, title: 'Forbidden' }, { status: 403 }),
    ];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      sent.push([url, init]);
      return answers.shift();
    });
    expect(await pickOrganisation('globex')).toBeUndefined();
    expect(sent[0]![0]).toBe('/auth/tenant');
    expect(sent[0]![1]).toMatchObject({ method: 'POST', body: '{"tenant":"globex"}' });
    expect(new Headers(sent[0]![1].headers).get('x-csrf')).toBe('1');
    expect(await pickOrganisation('initech')).toBe('You are no longer a member of that organisation.');
  });

  it('in a hybrid app’s WebView, sends the switch over the native host’s bridge, never the page’s fetch', async () => {
    const sent = stubWebKitHost(() => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }));
    expect(await pickOrganisation('globex')).toBeUndefined();
    expect(sent).toEqual([
      {
        kind: 'request',
        method: 'POST',
        path: '/auth/tenant',
        headers: { 'x-csrf': '1', accept: 'application/json', 'content-type': 'application/json' },
        body: '{"tenant":"globex"}',
      },
    ]);
  });
});
