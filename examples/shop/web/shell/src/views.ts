import type { ViewInfo } from '@gatehouse/shell';
import { ICON_PATHS, type IconName } from '@gatehouse/shop-ui';

type Child = Node | Element | string | false | null | undefined;

/** A tiny element builder (no innerHTML: the page may run under Trusted Types). */
function h(tag: string, props: Record<string, string | ((event: Event) => void)> = {}, ...children: Child[]) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (typeof value === 'function') element.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'className') element.className = value;
    else element.setAttribute(key, value);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

/** The shop's line icon as plain DOM (the views are not React). */
function icon(name: IconName): Element {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [key, value] of Object.entries({
    width: '40',
    height: '40',
    viewBox: '0 0 24 24',
    fill: 'none',
    stroke: 'currentColor',
    'stroke-width': '1.8',
    'stroke-linecap': 'round',
    'stroke-linejoin': 'round',
    'aria-hidden': 'true',
    class: 'icon',
  }))
    svg.setAttribute(key, value);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICON_PATHS[name]);
  svg.append(path);
  return svg;
}

const link = (href: string, text: string, className = 'button') => h('a', { href, className }, text);

const NO_ACCESS: Record<string, string> = {
  role: 'This area is for another role. If you think you should have access, ask your administrator.',
  tenant: 'You are not a member of this organisation.',
  permission: 'Your role in this organisation does not include this page.',
};

/**
 * The shell's views in the shop's look: loading skeleton, no access, not found, a remote that failed,
 * signed out, and the session-expired notice. Each is marked `data-gatehouse-view` like the defaults.
 */
export function shopView(info: ViewInfo): Node {
  const state = (name: IconName, title: string, text: string, ...actions: Child[]) =>
    h(
      'section',
      { className: `state state--${info.kind}`, 'data-gatehouse-view': info.kind, role: 'alert' },
      h('div', { className: 'state__icon' }, icon(name)),
      h('h1', { className: 'state__title' }, title),
      h('p', { className: 'state__text' }, text),
      actions.length ? h('div', { className: 'state__action' }, ...actions) : null,
    );
  switch (info.kind) {
    case 'loading':
      return h(
        'div',
        { className: 'route-skeleton', 'data-gatehouse-view': 'loading', 'aria-busy': 'true' },
        h('div', { className: 'skeleton skeleton--title' }),
        h(
          'div',
          { className: 'product-grid' },
          ...Array.from({ length: 4 }, () => h('div', { className: 'skeleton skeleton--card' })),
        ),
      );
    case 'no-access':
      return state(
        'lock',
        'You don’t have access to this page',
        NO_ACCESS[info.reason ?? ''] ?? 'Your account does not allow this page.',
        link('/', 'Back to the shop', 'button button--primary'),
      );
    case 'not-found':
      return state(
        'search',
        'Page not found',
        'The page you asked for does not exist. It may have moved.',
        link('/', 'Back to the shop', 'button button--primary'),
      );
    case 'error':
      return state(
        'alert',
        'This part of the page could not be loaded',
        'The rest of the shop still works. Try again in a moment.',
        h('button', { type: 'button', className: 'button', onclick: () => location.reload() }, 'Reload'),
      );
    case 'signed-out':
      return state(
        'wave',
        info.reason === 'session_expired' ? 'Your session has expired' : 'You have been signed out',
        'Sign in again to continue where you left off.',
        h('button', { type: 'button', className: 'button button--primary', onclick: info.login }, 'Sign in'),
      );
    case 'expired-notice':
      return h(
        'div',
        { className: 'toast toast--warning', 'data-gatehouse-view': 'expired-notice', role: 'alert' },
        'Your session has expired. Taking you to sign in…',
      );
  }
}
