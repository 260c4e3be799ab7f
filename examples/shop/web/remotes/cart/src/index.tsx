import { defineReactRemote, useApi, useIdentity, useLogin, useRemoteContext } from '@gatehouse/react';
import { UnauthenticatedError } from '@gatehouse/remote';
import {
  type Cart,
  type CartLine,
  ErrorView,
  formatMoney,
  Icon,
  PageHeader,
  plural,
  problemText,
  Skeleton,
  StateView,
  useApiData,
} from '@gatehouse/shop-ui';
import { type ReactNode, useState } from 'react';

const FREE_DELIVERY_FROM = 49_900;

function Line({
  line,
  busy,
  change,
}: {
  line: CartLine;
  busy: boolean;
  change(productId: string, quantity: number): void;
}): ReactNode {
  const identity = useIdentity();
  const { product } = line;
  const unit = product ? (product.memberPriceMinor ?? product.priceMinor) : 0;
  return (
    <div className="cart-line" data-testid="cart-line" data-product-id={line.productId}>
      {product ? (
        <img src={product.image} alt="" width="96" height="72" />
      ) : (
        <div className="skeleton skeleton--image" />
      )}
      <div>
        {product ? (
          <a className="cart-line__name" href={`/product/${encodeURIComponent(line.productId)}`}>
            {product.name}
          </a>
        ) : (
          <span className="cart-line__name">No longer sold</span>
        )}
        {product && (
          <div className="muted">
            {formatMoney(unit, identity)} each
            {product.memberPriceMinor !== undefined && product.memberPriceMinor < product.priceMinor && (
              <span className="saving"> · member price</span>
            )}
          </div>
        )}
        {product && !product.inStock && (
          <div className="stock stock--out">Out of stock: remove it to check out</div>
        )}
        {product?.inStock && product.stock < line.quantity && (
          <div className="stock stock--low">Only {product.stock} left</div>
        )}
        <div className="cart-line__meta">
          <div className="quantity">
            <button
              type="button"
              disabled={busy || line.quantity <= 1}
              onClick={() => change(line.productId, line.quantity - 1)}
              aria-label="Fewer"
            >
              −
            </button>
            <span>{line.quantity}</span>
            <button
              type="button"
              disabled={busy || line.quantity >= 10 || (product !== null && line.quantity >= product.stock)}
              onClick={() => change(line.productId, line.quantity + 1)}
              aria-label="More"
            >
              +
            </button>
          </div>
          <button
            type="button"
            className="link-button"
            disabled={busy}
            onClick={() => change(line.productId, 0)}
          >
            Remove
          </button>
        </div>
      </div>
      <div className="cart-line__total">{formatMoney(line.lineTotalMinor, identity)}</div>
    </div>
  );
}

function Summary({ cart }: { cart: Cart }): ReactNode {
  const identity = useIdentity();
  const blocked = cart.items.some((line) => !line.product?.inStock);
  const toFree = FREE_DELIVERY_FROM - cart.subtotalMinor;
  return (
    <aside className="card summary" data-testid="cart-summary">
      <h2 className="card__title">Order summary</h2>
      <dl>
        <dt>Items ({cart.itemCount})</dt>
        <dd>{formatMoney(cart.subtotalMinor, identity)}</dd>
        {cart.discountMinor > 0 && (
          <>
            <dt>Member savings</dt>
            <dd className="saving">−{formatMoney(cart.discountMinor, identity)}</dd>
          </>
        )}
        <dt>Delivery</dt>
        <dd>{toFree <= 0 ? 'Free' : 'At checkout'}</dd>
        <dt className="summary__total">Total</dt>
        <dd className="summary__total" data-testid="cart-total">
          {formatMoney(cart.totalMinor, identity)}
        </dd>
      </dl>
      {toFree > 0 && <p className="muted">Add {formatMoney(toFree, identity)} more for free delivery.</p>}
      <a
        className={`button button--primary button--block button--lg${blocked ? ' is-disabled' : ''}`}
        href={blocked ? undefined : '/checkout'}
        aria-disabled={blocked}
        data-testid="to-checkout"
      >
        Proceed to checkout
      </a>
      {blocked && <p className="note note--error">Remove what is out of stock first.</p>}
    </aside>
  );
}

function SignedInCart(): ReactNode {
  const api = useApi();
  const { events } = useRemoteContext();
  const cart = useApiData<Cart>('/api/cart');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const change = async (productId: string, quantity: number) => {
    setBusy(true);
    setError(null);
    try {
      const path = `/api/cart/items/${encodeURIComponent(productId)}`;
      const next = quantity === 0 ? await api.delete<Cart>(path) : await api.put<Cart>(path, { quantity });
      cart.set(next);
      events.emit('cart:changed', { itemCount: next.itemCount });
    } catch (caught) {
      if (!(caught instanceof UnauthenticatedError)) setError(problemText(caught));
      cart.reload();
    } finally {
      setBusy(false);
    }
  };
  if (cart.status === 'loading') return <Skeleton kind="lines" count={6} />;
  if (cart.status === 'error') return <ErrorView error={cart.error} what="cart" retry={cart.reload} />;
  if (!cart.data.items.length)
    return (
      <StateView
        kind="empty"
        title="Your cart is empty"
        action={
          <a className="button button--primary" href="/">
            Start shopping
          </a>
        }
      >
        <p>Find something you like and add it here.</p>
      </StateView>
    );
  return (
    <>
      <PageHeader title="Your cart" subtitle={plural(cart.data.itemCount, 'item')} />
      {error && (
        <p className="alert alert--error" role="alert">
          {error}
        </p>
      )}
      <div className="two-col">
        <section className="card cart-lines" aria-label="Items">
          {cart.data.items.map((line) => (
            <Line key={line.productId} line={line} busy={busy} change={change} />
          ))}
        </section>
        <Summary cart={cart.data} />
      </div>
    </>
  );
}

/** The cart. Optional auth: an anonymous visitor gets a sign-in prompt, never a redirect. */
function CartPage(): ReactNode {
  const identity = useIdentity();
  const login = useLogin();
  if (!identity.isAuthenticated)
    return (
      <StateView
        kind="sign-in"
        title="Sign in to see your cart"
        action={
          <button
            type="button"
            className="button button--primary button--lg"
            onClick={() => login('/cart')}
            data-testid="cart-sign-in"
          >
            <Icon name="user" /> Sign in
          </button>
        }
      >
        <p>Your cart is saved with your account, so it follows you on every device.</p>
      </StateView>
    );
  return (
    <div data-testid="cart">
      <SignedInCart />
    </div>
  );
}

/** The cart remote. */
export const remote = defineReactRemote(CartPage);
