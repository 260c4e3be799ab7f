/** What {@link remoteTemplate} fills in. */
export interface RemoteTemplateVars {
  /** The remote's name (`wishlist`, `gift-cards`): its folder, manifest name and route. */
  readonly name: string;
  /** The permission its gated button needs (`wishlist:edit`). */
  readonly permission: string;
  /** The API path its page reads (`/api/wishlist`). */
  readonly api: string;
  /** The route it renders (`/wishlist`). */
  readonly route: string;
  /** The package's `test` script. */
  readonly testScript: string;
  /** The app's role map, relative to the repository (for the README), when there is one. */
  readonly roleMap?: string | undefined;
}

/**
 * The versions a new remote is written with: the ones the reference shop's remotes use (a test checks they
 * agree, so a new remote shares the shell's one copy of React).
 */
export const REMOTE_VERSIONS = Object.freeze({
  gatehouse: '0.1.0',
  react: '^19.3.1',
  typesReact: '^19.3.0',
  vite: '^8.3.8',
  vitest: '^4.1.12',
  happyDom: '^21.0.4',
});

/** The remote's name as code spells it: `gift-cards` → `GiftCards`, `GIFT_CARDS`, and `gift cards` in text. */
interface Names {
  readonly P: string;
  readonly C: string;
  readonly thing: string;
}

const words = (name: string) => name.split('-');
const pascal = (name: string) =>
  words(name)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
const constant = (name: string) => words(name).join('_').toUpperCase();
const title = (name: string) => {
  const text = words(name).join(' ');
  return text[0]!.toUpperCase() + text.slice(1);
};

/**
 * The files of a new React remote, by path relative to its folder: `package.json` (with its `gatehouse`
 * rule), `vite.config.ts`, `src/index.tsx` (`defineReactRemote`), `src/<name>-page.tsx` (a `useCan`-gated
 * button), `src/<name>-api.ts` (the API call with 401/403/404 as the guide's table says, forgotten at
 * `auth:logged-out`), `test/<name>.test.tsx` (the remote mounted in happy-dom) and a README.
 *
 * @example
 * remoteTemplate({ name: 'wishlist', permission: 'wishlist:edit', api: '/api/wishlist', route: '/wishlist', testScript: 'vitest run' });
 */
export function remoteTemplate(vars: RemoteTemplateVars): Record<string, string> {
  const { name } = vars;
  const names: Names = { P: pascal(name), C: constant(name), thing: title(name).toLowerCase() };
  const { P } = names;
  return {
    'package.json': packageJson(vars),
    'vite.config.ts': `import { remoteViteConfig } from '@gatehouse/example-shop/web-build';

// \`npm run build\` in this folder builds this remote alone; \`npm start\` builds every remote in one process.
export default remoteViteConfig(import.meta.dirname);
`,
    'src/index.tsx': `import { defineReactRemote } from '@gatehouse/react';
import { ${P}Page } from './${name}-page.js';

/** The ${name} remote, as the shell imports it: \`defineReactRemote\` mounts, updates and unmounts the page. */
export const remote = defineReactRemote(${P}Page);
`,
    [`src/${name}-api.ts`]: apiFile(vars, names),
    [`src/${name}-page.tsx`]: pageFile(vars, names),
    [`test/${name}.test.tsx`]: testFile(vars, names),
    'README.md': readme(vars, names),
  };
}

function packageJson(vars: RemoteTemplateVars): string {
  const v = REMOTE_VERSIONS;
  const pkg = {
    name: `@gatehouse/shop-remote-${vars.name}`,
    version: '0.1.0',
    private: true,
    description: `The ${vars.name} remote: ${vars.route} for signed-in users; ${vars.permission} to change it.`,
    license: 'Apache-2.0',
    type: 'module',
    scripts: { build: 'vite build', test: vars.testScript },
    // The one upstream it calls, `/api/<name>`: a shell with @gatehouse/shell/upstreams holds it to that.
    gatehouse: { routes: [vars.route], auth: 'required', upstreams: [vars.name] },
    dependencies: {
      '@gatehouse/policy': v.gatehouse,
      '@gatehouse/react': v.gatehouse,
      '@gatehouse/remote': v.gatehouse,
    },
    peerDependencies: { react: v.react, 'react-dom': v.react },
    devDependencies: {
      '@gatehouse/example-shop': v.gatehouse,
      '@types/react': v.typesReact,
      'happy-dom': v.happyDom,
      vite: v.vite,
      vitest: v.vitest,
    },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

// long-function: the template of the whole generated src/<name>-api.ts, kept in one piece so it reads as the file it
// writes.
function apiFile(vars: RemoteTemplateVars, { P, C, thing }: Names): string {
  return `import { useApi, useIdentity, useRemoteContext } from '@gatehouse/react';
import { ApiError, ForbiddenError, NotFoundError, UnauthenticatedError } from '@gatehouse/remote';
import { useCallback, useEffect, useRef, useState } from 'react';

/** The ${thing}'s API: \`GET\` lists the entries, \`DELETE ${vars.api}/:id\` removes one. */
export const ${C}_API = '${vars.api}';

/** One entry, as \`GET ${vars.api}\` answers it: keep it to the fields the API really sends. */
export interface ${P}Entry {
  readonly id: string;
  readonly name: string;
}

/** What the page shows: the entries, or what the API's answer means for this user. */
export type ${P}State =
  | { readonly status: 'loading' }
  | { readonly status: 'ok'; readonly entries: readonly ${P}Entry[] }
  | { readonly status: 'sign-in' }
  | { readonly status: 'no-access' }
  | { readonly status: 'not-found' }
  | { readonly status: 'error'; readonly message: string };

const LOADING: ${P}State = { status: 'loading' };
const SIGN_IN: ${P}State = { status: 'sign-in' };

/** A readable message for an error the API client threw: the problem's \`detail\` when there is one. */
export function messageOf(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong.';
  if (error.status === 0) return 'The shop could not be reached. Check your connection and try again.';
  return error.problem.detail || error.problem.title;
}

/**
 * 401, 403 and 404 are different: a 401 is the shell's (it is already signing the user in again; an
 * anonymous visitor is offered to sign in), a 403 is "no access" (never a login), a 404 "not found".
 */
export function stateOfError(error: unknown): ${P}State {
  if (error instanceof UnauthenticatedError) return SIGN_IN;
  if (error instanceof ForbiddenError) return { status: 'no-access' };
  if (error instanceof NotFoundError) return { status: 'not-found' };
  return { status: 'error', message: messageOf(error) };
}

/** What {@link use${P}} answers. */
export interface ${P}Data {
  readonly state: ${P}State;
  /** Why the last change failed (a 403: not allowed), else \`null\`. */
  readonly notice: string | null;
  reload(): void;
  remove(id: string): Promise<void>;
}

/**
 * The signed-in user's ${thing}, asked for again when the user changes, and forgotten the moment the
 * session ends (\`auth:logged-out\`: sign-out in any tab, expiry, the identity provider), so nothing of theirs
 * stays on screen. An answer that comes after the user changed is dropped.
 */
export function use${P}(): ${P}Data {
  const api = useApi();
  const { events } = useRemoteContext();
  const identity = useIdentity();
  const userId = identity.isAuthenticated ? identity.user.id : null;
  const [state, setState] = useState(userId === null ? SIGN_IN : LOADING);
  const [notice, setNotice] = useState<string | null>(null);
  const latest = useRef(0);

  const reload = useCallback(() => {
    const ticket = ++latest.current;
    setNotice(null);
    if (userId === null) return setState(SIGN_IN);
    setState(LOADING);
    api.get<${P}Entry[]>(${C}_API).then(
      (entries) => ticket === latest.current && setState({ status: 'ok', entries }),
      (error: unknown) => ticket === latest.current && setState(stateOfError(error)),
    );
  }, [api, userId]);
  useEffect(reload, [reload]);

  useEffect(
    () =>
      events.on('auth:logged-out', () => {
        latest.current++;
        setState(SIGN_IN);
        setNotice(null);
      }),
    [events],
  );

  const remove = useCallback(
    async (id: string) => {
      try {
        await api.delete(\`\${${C}_API}/\${encodeURIComponent(id)}\`);
        setState((now) =>
          now.status === 'ok'
            ? { status: 'ok', entries: now.entries.filter((entry) => entry.id !== id) }
            : now,
        );
      } catch (error) {
        // A 401 is the shell's: it is already signing the user in again.
        if (error instanceof UnauthenticatedError) return;
        // A 404: someone removed it already; show what there is.
        if (error instanceof NotFoundError) return reload();
        setNotice(error instanceof ForbiddenError ? 'You may not change this.' : messageOf(error));
      }
    },
    [api, reload],
  );

  return { state, notice, reload, remove };
}
`;
}

// long-function: the template of the whole generated src/<name>-page.tsx, kept in one piece so it reads as the file it
// writes.
function pageFile(vars: RemoteTemplateVars, { P, C, thing }: Names): string {
  return `import { type Permission, useCan, useLogin } from '@gatehouse/react';
import type { ReactNode } from 'react';
import { use${P} } from './${vars.name}-api.js';

/** What lets a user change the ${thing}: grant it to roles in the app's role map; the API checks it too. */
export const ${C}_EDIT: Permission = '${vars.permission}';

/** The page at \`${vars.route}\`: the signed-in user's entries; "Remove" only for who may change them. */
export function ${P}Page(): ReactNode {
  const login = useLogin();
  // A feature check, for the UI only: the API decides for real.
  const canEdit = useCan(${C}_EDIT);
  const { state, notice, reload, remove } = use${P}();

  if (state.status === 'loading')
    return (
      <p className="muted" role="status" aria-busy="true">
        Loading…
      </p>
    );
  if (state.status === 'sign-in')
    return (
      <section className="state" data-view="sign-in">
        <h1 className="state__title">Please sign in</h1>
        <button type="button" className="button button--primary" onClick={() => login()}>
          Sign in
        </button>
      </section>
    );
  if (state.status === 'no-access')
    return (
      <section className="state" data-view="no-access">
        <h1 className="state__title">You don’t have access to this</h1>
      </section>
    );
  if (state.status === 'not-found')
    return (
      <section className="state" data-view="not-found">
        <h1 className="state__title">We couldn’t find this</h1>
      </section>
    );
  if (state.status === 'error')
    return (
      <section className="state" data-view="error" role="alert">
        <h1 className="state__title">Something went wrong</h1>
        <p>{state.message}</p>
        <button type="button" className="button" onClick={reload}>
          Try again
        </button>
      </section>
    );
  return (
    <section className="card" data-testid="${vars.name}">
      <h1 className="card__title">${title(vars.name)}</h1>
      {notice && (
        <p className="alert" role="status">
          {notice}
        </p>
      )}
      {state.entries.length === 0 ? (
        <p className="muted" data-view="empty">
          Nothing here yet.
        </p>
      ) : (
        <ul>
          {state.entries.map((entry) => (
            <li key={entry.id} data-testid="${vars.name}-entry">
              {entry.name}{' '}
              {canEdit && (
                <button type="button" className="link-button" onClick={() => remove(entry.id)}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
`;
}

// long-function: the template of the whole generated test/<name>.test.tsx, kept in one piece so it reads as the file it
// writes.
function testFile(vars: RemoteTemplateVars, { C }: Names): string {
  // In the order Biome sorts them, whatever the name.
  const ownImports = [
    [`../src/${vars.name}-api.js`, `${C}_API`],
    [`../src/${vars.name}-page.js`, `${C}_EDIT`],
    ['../src/index.js', 'remote'],
  ]
    .sort(([a], [b]) => (a!.replace(/\.js$/, '') < b!.replace(/\.js$/, '') ? -1 : 1))
    .map(([from, names]) => `import { ${names} } from '${from}';`)
    .join('\n');
  return `// @vitest-environment happy-dom
import {
  createTestContext,
  problem,
  type RemoteContext,
  type TestApiRequest,
  type TestContextOptions,
} from '@gatehouse/remote';
import { afterEach, describe, expect, it, vi } from 'vitest';
${ownImports}

const LIST = \`GET \${${C}_API}\`;
const ONE = \`DELETE \${${C}_API}/:id\`;
const entries = [
  { id: 'entry_1', name: 'Brass kettle' },
  { id: 'entry_2', name: 'Linen apron' },
];
// The API as the remote sees it through the real API client: entry_2 may not be removed (403).
const api = {
  [LIST]: entries,
  [ONE]: ({ params }: TestApiRequest) => (params.id === 'entry_2' ? problem(403, 'forbidden') : undefined),
};
const alice = {
  id: 'user_alice',
  displayName: 'Alice',
  permissions: [${C}_EDIT],
};

// Mounts the remote as the shell does: into an element of the page, with a context (\`shell\` overrides
// some of it, as a shell that behaves differently would).
const mounted = new Set<HTMLElement>();
async function mount(options: TestContextOptions, shell: Partial<RemoteContext> = {}) {
  const route = { path: '${vars.route}' };
  const context = createTestContext({ name: '${vars.name}', route, ...options });
  const element = document.body.appendChild(document.createElement('div'));
  mounted.add(element);
  await remote.mount(element, { ...context, ...shell });
  return { context, element };
}
afterEach(async () => {
  for (const element of mounted) await remote.unmount(element);
  mounted.clear();
  document.body.replaceChildren();
});

const buttons = (element: HTMLElement, label: string) =>
  [...element.querySelectorAll('button')].filter((button) => button.textContent === label);
const view = (element: HTMLElement) => element.querySelector('[data-view]')?.getAttribute('data-view');

describe('the ${vars.name} remote', () => {
  it('loads the user’s entries when mounted, with "Remove" only for who may edit', async () => {
    const { context, element } = await mount({ identity: alice, api });
    expect(element.textContent).toContain('Loading');
    await vi.waitFor(() => expect(element.textContent).toContain('Brass kettle'));
    expect(context.requests.map((request) => \`\${request.method} \${request.path}\`)).toEqual([LIST]);
    expect(buttons(element, 'Remove')).toHaveLength(2);

    const reader = await mount({ identity: { ...alice, permissions: [] }, api });
    await vi.waitFor(() => expect(reader.element.textContent).toContain('Brass kettle'));
    expect(buttons(reader.element, 'Remove')).toHaveLength(0);
  });

  it('removes an entry; when the API answers 403 it says so and keeps the entry', async () => {
    const { context, element } = await mount({ identity: alice, api });
    await vi.waitFor(() => expect(buttons(element, 'Remove')).toHaveLength(2));
    buttons(element, 'Remove')[0]!.click();
    await vi.waitFor(() => expect(element.textContent).not.toContain('Brass kettle'));
    expect(context.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      path: \`\${${C}_API}/entry_1\`,
    });
    buttons(element, 'Remove')[0]!.click();
    await vi.waitFor(() => expect(element.textContent).toContain('You may not change this.'));
    expect(element.textContent).toContain('Linen apron');
  });

  it('shows no-access for a 403 and not-found for a 404; a 401 is left to the shell', async () => {
    const refused = await mount({ identity: alice, api: { [LIST]: problem(403, 'forbidden') } });
    await vi.waitFor(() => expect(view(refused.element)).toBe('no-access'));
    const missing = await mount({ identity: alice, api: { [LIST]: problem(404, 'not_found') } });
    await vi.waitFor(() => expect(view(missing.element)).toBe('not-found'));
    const expired = await mount({ identity: alice, api: { [LIST]: problem(401, 'session_expired') } });
    await vi.waitFor(() => expect(view(expired.element)).toBe('sign-in'));
    // Nobody is sent to sign in by the remote: the shell runs its one session flow for a 401.
    for (const { context } of [refused, missing, expired]) expect(context.logins).toEqual([]);
  });

  it('offers an anonymous visitor to sign in, back to this route, and asks the API nothing', async () => {
    const { context, element } = await mount({ api });
    expect(view(element)).toBe('sign-in');
    buttons(element, 'Sign in')[0]!.click();
    expect(context.logins).toEqual(['${vars.route}']);
    expect(context.requests).toEqual([]);
  });

  it('forgets the entries at logout, even an answer still on its way', async () => {
    const { context, element } = await mount({ identity: alice, api });
    await vi.waitFor(() => expect(element.textContent).toContain('Brass kettle'));
    const signedOut = context.setIdentity({ isAuthenticated: false }, 'user_action');
    await vi.waitFor(() => expect(element.textContent).not.toContain('Brass kettle'));
    await remote.update!(signedOut, element);
    expect(view(element)).toBe('sign-in');

    let answer: (value: unknown) => void = () => {};
    const later = new Promise((resolve) => {
      answer = resolve;
    });
    const slow = await mount({ identity: alice, api: { [LIST]: () => later } });
    slow.context.setIdentity({ isAuthenticated: false }, 'backchannel_logout');
    answer(entries);
    await later;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(view(slow.element)).toBe('sign-in');
    expect(slow.element.textContent).not.toContain('Brass kettle');
  });

  it('forgets them at auth:logged-out itself, before the shell passes the new identity', async () => {
    const quiet = { onAuthChange: () => () => {} };
    const { context, element } = await mount({ identity: alice, api }, quiet);
    await vi.waitFor(() => expect(element.textContent).toContain('Brass kettle'));
    context.setIdentity({ isAuthenticated: false }, 'logout');
    await vi.waitFor(() => expect(element.textContent).not.toContain('Brass kettle'));
    expect(view(element)).toBe('sign-in');
  });
});
`;
}

function readme(vars: RemoteTemplateVars, { P, C }: Names): string {
  const roleMap = vars.roleMap ? `\`${vars.roleMap}\`` : "the app's role map";
  return `# The ${vars.name} remote

\`@gatehouse/shop-remote-${vars.name}\`, made by \`gatehouse new remote ${vars.name}\`. It renders \`${vars.route}\`
for signed-in users: the \`gatehouse\` rule of its \`package.json\`, which the build copies into the manifest,
so the BFF sends anonymous visitors to sign in before any script runs.

| file | what |
| --- | --- |
| \`src/index.tsx\` | \`export const remote = defineReactRemote(${P}Page)\` |
| \`src/${vars.name}-page.tsx\` | the page; "Remove" only for \`${vars.permission}\` (\`useCan\`: the UI only, the API decides) |
| \`src/${vars.name}-api.ts\` | \`GET ${vars.api}\` through the context's API client: 401 → sign in (the shell's flow), 403 → no access, 404 → not found, anything else → the problem's detail and "Try again"; everything forgotten at \`auth:logged-out\` |
| \`test/${vars.name}.test.tsx\` | the remote mounted in happy-dom with \`createTestContext\`: the effect, the permission, 401/403/404, logout |

- Grant \`${vars.permission}\` (\`${C}_EDIT\`) to the roles that may change it in ${roleMap}, and check it in
  the API that answers \`${vars.api}\` too.
- \`${P}Entry\` is what the page expects of \`GET ${vars.api}\`: keep it to what the API really answers.
- Test: \`${vars.testScript}\` (\`npm test\` here). The repository's typecheck covers \`src/\` and \`test/\`.
`;
}
