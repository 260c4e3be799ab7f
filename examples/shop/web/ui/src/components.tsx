import { useApi, useIdentity, useLogin, useRemoteContext } from '@gatehouse/react';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '@gatehouse/remote';
import { type ReactNode, useState } from 'react';
import { problemText } from './data.js';
import { formatMoney } from './format.js';
import { Icon } from './icons.js';
import type { Cart, Product } from './types.js';

/** A product's price: the member price with the list price struck through and the offer, when signed in. */
export function Price({
  product,
  size = 'md',
}: {
  product: Pick<Product, 'priceMinor' | 'memberPriceMinor' | 'offer'>;
  size?: 'md' | 'lg';
}): ReactNode {
  const identity = useIdentity();
  const member = product.memberPriceMinor;
  const discounted = member !== undefined && member < product.priceMinor;
  return (
    <div className={`price price--${size}`}>
      <span className="price__now" data-testid="price">
        {formatMoney(discounted ? member : product.priceMinor, identity)}
      </span>
      {discounted && <s className="price__was">{formatMoney(product.priceMinor, identity)}</s>}
      {discounted && product.offer && <span className="badge badge--offer">{product.offer.label}</span>}
    </div>
  );
}

/** ★★★★☆ 4.3 */
export function Stars({ rating }: { rating: number }): ReactNode {
  const full = Math.round(rating);
  return (
    <span className="stars" role="img" aria-label={`Rated ${rating} out of 5`}>
      <span aria-hidden="true">{'★'.repeat(full)}</span>
      <span aria-hidden="true" className="stars__off">
        {'★'.repeat(Math.max(0, 5 - full))}
      </span>
      <span className="stars__value">{rating.toFixed(1)}</span>
    </span>
  );
}

/**
 * Adds a product to the cart (`POST /api/cart/items`) and tells the shell's cart badge (`cart:changed`).
 * Anonymous visitors are sent to sign in, back to the current page.
 */
export function useAddToCart(): {
  add(productId: string, quantity?: number): Promise<boolean>;
  busy: string | null;
  message: { readonly productId: string; readonly text: string; readonly ok: boolean } | null;
} {
  const api = useApi();
  const identity = useIdentity();
  const login = useLogin();
  const { events } = useRemoteContext();
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ productId: string; text: string; ok: boolean } | null>(null);
  return {
    busy,
    message,
    async add(productId, quantity = 1) {
      if (!identity.isAuthenticated) {
        login();
        return false;
      }
      setBusy(productId);
      try {
        const cart = await api.post<Cart>('/api/cart/items', { productId, quantity });
        events.emit('cart:changed', { itemCount: cart.itemCount });
        setMessage({ productId, text: 'Added to your cart', ok: true });
        return true;
      } catch (error) {
        if (!(error instanceof UnauthenticatedError))
          setMessage({ productId, text: problemText(error), ok: false });
        return false;
      } finally {
        setBusy(null);
      }
    },
  };
}

/** A product card for grids: image, brand, name, rating, price, and "Add to cart". */
export function ProductCard({
  product,
  cart,
}: {
  product: Product;
  cart: ReturnType<typeof useAddToCart>;
}): ReactNode {
  const note = cart.message?.productId === product.id ? cart.message : null;
  return (
    <article className="product-card" data-testid="product-card" data-product-id={product.id}>
      <a className="product-card__image" href={`/product/${encodeURIComponent(product.id)}`}>
        <img src={product.image} alt="" loading="lazy" width="320" height="240" />
        {!product.inStock && <span className="badge badge--muted product-card__flag">Out of stock</span>}
        {product.offer && product.inStock && (
          <span className="badge badge--offer product-card__flag">{product.offer.percentOff}% off</span>
        )}
      </a>
      <div className="product-card__body">
        <p className="product-card__brand">{product.brand}</p>
        <h3 className="product-card__name">
          <a href={`/product/${encodeURIComponent(product.id)}`}>{product.name}</a>
        </h3>
        <Stars rating={product.rating} />
        <Price product={product} />
        <button
          type="button"
          className="button button--primary button--block"
          disabled={!product.inStock || cart.busy === product.id}
          onClick={() => cart.add(product.id)}
        >
          {product.inStock ? (cart.busy === product.id ? 'Adding…' : 'Add to cart') : 'Out of stock'}
        </button>
        {note && (
          <p className={note.ok ? 'note note--ok' : 'note note--error'} role="status">
            {note.text}
          </p>
        )}
      </div>
    </article>
  );
}

/** A grid of products. */
export function ProductGrid({ products }: { products: readonly Product[] }): ReactNode {
  const cart = useAddToCart();
  return (
    <div className="product-grid">
      {products.map((product) => (
        <ProductCard key={product.id} product={product} cart={cart} />
      ))}
    </div>
  );
}

/** Grey placeholders in the shape of what is loading. */
export function Skeleton({
  kind = 'grid',
  count = 8,
}: {
  kind?: 'grid' | 'lines' | 'detail';
  count?: number;
}) {
  if (kind === 'lines')
    return (
      <div className="skeleton-lines" role="status" aria-busy="true" aria-label="Loading">
        {Array.from({ length: count }, (_, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
          <div key={i} className="skeleton skeleton--line" />
        ))}
      </div>
    );
  if (kind === 'detail')
    return (
      <div className="product-detail" role="status" aria-busy="true" aria-label="Loading">
        <div className="skeleton skeleton--image" />
        <div className="skeleton-lines">
          <div className="skeleton skeleton--title" />
          <div className="skeleton skeleton--line" />
          <div className="skeleton skeleton--line" />
          <div className="skeleton skeleton--button" />
        </div>
      </div>
    );
  return (
    <div className="product-grid" role="status" aria-busy="true" aria-label="Loading">
      {Array.from({ length: count }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
        <div key={i} className="product-card product-card--skeleton">
          <div className="skeleton skeleton--image" />
          <div className="product-card__body">
            <div className="skeleton skeleton--line" />
            <div className="skeleton skeleton--title" />
            <div className="skeleton skeleton--button" />
          </div>
        </div>
      ))}
    </div>
  );
}

const ICONS = {
  'no-access': 'lock',
  'not-found': 'search',
  'sign-in': 'user',
  error: 'alert',
  empty: 'bag',
} as const;

/** A whole-region state: no access, not found, sign in, error, empty; with an optional action. */
export function StateView({
  kind,
  title,
  children,
  action,
}: {
  kind: keyof typeof ICONS;
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}): ReactNode {
  return (
    <section
      className={`state state--${kind}`}
      data-view={kind}
      role={kind === 'error' ? 'alert' : undefined}
    >
      <div className="state__icon">
        <Icon name={ICONS[kind]} size={40} />
      </div>
      <h1 className="state__title">{title}</h1>
      {children && <div className="state__text">{children}</div>}
      {action && <div className="state__action">{action}</div>}
    </section>
  );
}

/** The state view for an error the API client threw: 403 no access, 404 not found, 401 sign in, else error. */
export function ErrorView({
  error,
  what = 'page',
  retry,
}: {
  error: unknown;
  what?: string;
  retry?: () => void;
}): ReactNode {
  const login = useLogin();
  if (error instanceof ForbiddenError)
    return (
      <StateView kind="no-access" title={`You don’t have access to this ${what}`}>
        <p>It belongs to another account, or your role does not allow it.</p>
        <p>
          <a href="/">Back to the shop</a>
        </p>
      </StateView>
    );
  if (error instanceof NotFoundError)
    return (
      <StateView kind="not-found" title={`We couldn’t find this ${what}`}>
        <p>Check the address, or start again from the home page.</p>
        <p>
          <a href="/">Back to the shop</a>
        </p>
      </StateView>
    );
  if (error instanceof UnauthenticatedError)
    return (
      <StateView
        kind="sign-in"
        title="Please sign in"
        action={
          <button type="button" className="button button--primary" onClick={() => login()}>
            Sign in
          </button>
        }
      />
    );
  return (
    <StateView
      kind="error"
      title="Something went wrong"
      action={
        retry && (
          <button type="button" className="button" onClick={retry}>
            Try again
          </button>
        )
      }
    >
      <p>{problemText(error)}</p>
    </StateView>
  );
}

/** A page title with an optional subtitle and actions on the right. */
export function PageHeader({
  title,
  subtitle,
  children,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  children?: ReactNode;
}): ReactNode {
  return (
    <header className="page-header">
      <div>
        <h1 className="page-header__title">{title}</h1>
        {subtitle && <p className="page-header__subtitle">{subtitle}</p>}
      </div>
      {children && <div className="page-header__actions">{children}</div>}
    </header>
  );
}

/** Breadcrumbs: `Home › Electronics › Boltwave Earbuds`. */
export function Breadcrumbs({ items }: { items: readonly { label: string; href?: string }[] }): ReactNode {
  return (
    <nav className="breadcrumbs" aria-label="Breadcrumb">
      <ol>
        {items.map((item) => (
          <li key={item.label}>
            {item.href ? <a href={item.href}>{item.label}</a> : <span>{item.label}</span>}
          </li>
        ))}
      </ol>
    </nav>
  );
}
