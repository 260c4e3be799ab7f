import type { IdentityContext } from '@gatehouse/policy';
import { useAuthState, useShell } from '@gatehouse/react';
import { Icon } from '@gatehouse/shop-ui';
import { type FormEvent, type ReactNode, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { ExpiryNotices } from './expiry.js';
import { useLocation } from './location.js';
import { switchOrganisation } from './organisation.js';

interface Category {
  readonly slug: string;
  readonly name: string;
}

const ROLE_LABELS: Record<string, string> = {
  customer: 'Customer',
  support: 'Support',
  store_manager: 'Store manager',
  admin: 'Admin',
  org_admin: 'Org admin',
  member: 'Member',
};
const roleLabel = (role: string) => ROLE_LABELS[role] ?? role;

function useCategories(): readonly Category[] {
  const shell = useShell();
  const [categories, setCategories] = useState<readonly Category[]>([]);
  useEffect(() => {
    shell.api.get<Category[]>('/api/catalog/categories').then(setCategories, () => setCategories([]));
  }, [shell]);
  return categories;
}

/** The cart badge's count: asked once signed in, then told by the remotes (`cart:changed`). */
function useCartCount(identity: IdentityContext): number {
  const shell = useShell();
  const [count, setCount] = useState(0);
  const user = identity.isAuthenticated ? identity.user.id : null;
  useEffect(() => {
    setCount(0);
    if (!user) return;
    let live = true;
    shell.api.get<{ itemCount: number }>('/api/cart').then(
      (cart) => live && setCount(cart.itemCount),
      () => {},
    );
    const off = shell.events.on(
      'cart:changed' as never,
      ((payload: { itemCount?: unknown }) => {
        if (typeof payload?.itemCount === 'number') setCount(payload.itemCount);
      }) as never,
    );
    return () => {
      live = false;
      off();
    };
  }, [shell, user]);
  return count;
}

function SearchBox(): ReactNode {
  const shell = useShell();
  const { pathname, search } = useLocation();
  const current = pathname === '/search' ? (new URLSearchParams(search).get('q') ?? '') : '';
  const [query, setQuery] = useState(current);
  useEffect(() => setQuery(current), [current]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    shell.navigate(`/search?q=${encodeURIComponent(query.trim())}`);
  };
  return (
    <form className="search" onSubmit={submit}>
      <input
        type="search"
        name="q"
        className="search__input"
        placeholder="Search earbuds, sarees, cookbooks…"
        aria-label="Search the shop"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
      />
      <button type="submit" className="search__button" aria-label="Search">
        <Icon name="search" />
      </button>
    </form>
  );
}

function AccountMenu(): ReactNode {
  const shell = useShell();
  const { status, identity } = useAuthState();
  const [open, setOpen] = useState(false);
  const menu = useRef<HTMLDivElement>(null);
  const { pathname } = useLocation();
  // biome-ignore lint/correctness/useExhaustiveDependencies: close the menu on every route change
  useEffect(() => setOpen(false), [pathname]);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (!menu.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('click', close);
    return () => document.removeEventListener('click', close);
  }, [open]);
  if (status === 'loading')
    return <div className="skeleton skeleton--pill" role="status" aria-label="Checking your session" />;
  if (!identity.isAuthenticated)
    return (
      <button
        type="button"
        className="button button--primary"
        onClick={() => shell.login()}
        data-testid="sign-in"
      >
        Sign in
      </button>
    );
  const { user } = identity;
  const isAdmin = user.roles.includes('admin');
  return (
    <div className="account" ref={menu}>
      <button
        type="button"
        className="account__button"
        aria-expanded={open}
        aria-haspopup="menu"
        onClick={() => setOpen(!open)}
        data-testid="account-button"
      >
        <span className="avatar" aria-hidden="true">
          {user.displayName.slice(0, 1).toUpperCase()}
        </span>
        <span className="account__who">
          <span className="account__name" data-testid="user-name">
            {user.displayName}
          </span>
          <span className="account__roles" data-testid="user-roles">
            {user.roles.map(roleLabel).join(' · ')}
          </span>
        </span>
        <span aria-hidden="true" className="account__caret">
          ▾
        </span>
      </button>
      {open && (
        <div className="menu" role="menu">
          <div className="menu__head">
            <strong>{user.displayName}</strong>
            <div className="chips">
              {user.roles.map((role) => (
                <span key={role} className="chip">
                  {roleLabel(role)}
                </span>
              ))}
              {user.tenants.map((tenant) => (
                <span
                  key={tenant.id}
                  className="chip chip--tenant"
                  data-active={tenant.id === user.activeTenant || undefined}
                >
                  {tenant.id} · {tenant.roles.map(roleLabel).join(', ')}
                  {tenant.id === user.activeTenant && user.tenants.length > 1 ? ' · working here' : ''}
                </span>
              ))}
            </div>
          </div>
          <a role="menuitem" href="/orders">
            Your orders
          </a>
          <a role="menuitem" href="/profile">
            Your profile
          </a>
          {isAdmin && (
            <a role="menuitem" href="/admin">
              Admin area
            </a>
          )}
          {/* The organisation the user works in opens; another one is switched to first (no new sign-in). */}
          {user.tenants.map((tenant) =>
            tenant.id === user.activeTenant || user.tenants.length === 1 ? (
              <a
                role="menuitem"
                key={tenant.id}
                href={`/org/${encodeURIComponent(tenant.id)}/users`}
                data-testid="org-open"
              >
                Organisation: {tenant.id}
              </a>
            ) : (
              <button
                type="button"
                role="menuitem"
                key={tenant.id}
                data-testid="org-switch"
                data-tenant={tenant.id}
                onClick={() => switchOrganisation(shell, tenant.id).catch(console.error)}
              >
                Switch to {tenant.id}
              </button>
            ),
          )}
          <button type="button" role="menuitem" className="menu__signout" onClick={() => shell.logout()}>
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}

function Header({ shopName }: { shopName: string }): ReactNode {
  const { identity } = useAuthState();
  const categories = useCategories();
  const count = useCartCount(identity);
  const { pathname } = useLocation();
  return (
    <header className="site-header">
      <div className="site-header__bar">
        <a className="brand" href="/" aria-label={`${shopName} home`}>
          <span className="brand__mark" aria-hidden="true">
            ◆
          </span>
          {shopName}
        </a>
        <SearchBox />
        <nav className="site-header__actions" aria-label="Account">
          {identity.isAuthenticated && (
            <a className="header-link" href="/orders">
              Orders
            </a>
          )}
          <a className="cart-link" href="/cart" aria-label={`Cart, ${count} items`} data-testid="cart-link">
            <Icon name="cart" size={22} />
            <span className="cart-link__text">Cart</span>
            {count > 0 && (
              <span className="cart-link__badge" data-testid="cart-count">
                {count}
              </span>
            )}
          </a>
          <AccountMenu />
        </nav>
      </div>
      <nav className="category-nav" aria-label="Categories">
        <a href="/" className={pathname === '/' ? 'is-active' : undefined}>
          Home
        </a>
        {categories.map((category) => (
          <a
            key={category.slug}
            href={`/categories/${category.slug}`}
            className={pathname === `/categories/${category.slug}` ? 'is-active' : undefined}
          >
            {category.name}
          </a>
        ))}
      </nav>
    </header>
  );
}

/** "Your session ends in 1:42 — Stay signed in", from the runtime's `auth:session-expiring`. */
function ExpiryWarning({ expiry }: { expiry: ExpiryNotices }): ReactNode {
  const shell = useShell();
  const { status, identity } = useAuthState();
  const warnedFor = useSyncExternalStore(expiry.subscribe, expiry.current);
  const [now, setNow] = useState(Date.now());
  const [busy, setBusy] = useState(false);
  const expiresAt = identity.isAuthenticated ? identity.session.expiresAt : null;
  // A warning about an earlier expiry (before "Stay signed in" or activity elsewhere moved it) is over.
  const showing = status === 'authenticated' && warnedFor !== null && warnedFor === expiresAt;
  useEffect(() => {
    if (!showing) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [showing]);
  if (!showing || !expiresAt) return null;
  const left = Math.max(0, Math.round((Date.parse(expiresAt) - now) / 1000));
  const stay = async () => {
    setBusy(true);
    await shell.extend();
    setBusy(false);
  };
  return (
    <div className="expiry" role="alertdialog" aria-labelledby="expiry-title" data-testid="expiry-warning">
      <div>
        <strong id="expiry-title">Your session is about to end</strong>
        <p>
          For your security you will be signed out in{' '}
          <span className="expiry__time">
            {Math.floor(left / 60)}:{String(left % 60).padStart(2, '0')}
          </span>
          .
        </p>
      </div>
      <div className="expiry__actions">
        <button type="button" className="button button--primary" disabled={busy} onClick={stay}>
          Stay signed in
        </button>
        <button type="button" className="button button--ghost" onClick={() => shell.logout()}>
          Sign out
        </button>
      </div>
    </div>
  );
}

/** Attaches the runtime's outlet (an element React does not manage) where the routes render. */
function Outlet({ element }: { element: HTMLElement }): ReactNode {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    host.current?.append(element);
    return () => element.remove();
  }, [element]);
  return <div ref={host} className="outlet-host" />;
}

/** In place of every remote when the BFF had no verified manifest for this page (fail closed). */
function Unavailable(): ReactNode {
  return (
    <section className="state state--error" data-gatehouse-view="error" data-reason="manifest" role="alert">
      <h1 className="state__title">The shop is not available right now</h1>
      <p className="state__text">
        Its code could not be verified, so none of it was loaded. Please try again in a few minutes.
      </p>
    </section>
  );
}

/** The shop's chrome around the routed remote. */
export function App({
  shopName,
  outlet,
  expiry,
  unavailable = false,
}: {
  shopName: string;
  outlet: HTMLElement;
  expiry: ExpiryNotices;
  unavailable?: boolean;
}): ReactNode {
  return (
    <>
      <Header shopName={shopName} />
      <ExpiryWarning expiry={expiry} />
      <main className="site-main" id="main">
        {unavailable ? <Unavailable /> : <Outlet element={outlet} />}
      </main>
      <footer className="site-footer">
        <div>
          <strong>{shopName}</strong> — a reference shop for Gatehouse. Prices in Indian rupees, GST included.
        </div>
        <div className="site-footer__links">
          <span>Free delivery from ₹499</span>
          <span>7-day returns</span>
          <span>Secure sign-in: no token ever reaches this page</span>
        </div>
      </footer>
    </>
  );
}
