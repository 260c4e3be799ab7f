import { defineReactRemote, useApi, useCan, useIdentity, useRemoteContext } from '@gatehouse/react';
import { ApiError, UnauthenticatedError } from '@gatehouse/remote';
import { keepOnExpiry, meetsLevel, resumeStepUp, withStepUp } from '@gatehouse/remote/step-up';
import {
  type Address,
  AddressForm,
  addressProblems,
  type Cart,
  EMPTY_ADDRESS,
  ErrorView,
  formatMoney,
  type Order,
  PageHeader,
  type PaymentMethod,
  type PaymentMethods,
  type Profile,
  plural,
  problemText,
  SECOND_FACTOR_LEVEL,
  Skeleton,
  STEP_UP_ORDER_MINOR,
  StateView,
  useApiData,
} from '@gatehouse/shop-ui';
import { type ReactNode, useEffect, useRef, useState } from 'react';

const shippingFor = (subtotalMinor: number) => (subtotalMinor === 0 || subtotalMinor >= 49_900 ? 0 : 4_900);
function Check({ state, children }: { state: 'ok' | 'bad' | 'wait'; children: ReactNode }): ReactNode {
  return <li className={`check--${state}`}>{children}</li>;
}

function Placed({ order }: { order: Order }): ReactNode {
  const identity = useIdentity();
  return (
    <section className="card success" data-testid="order-placed">
      <div className="success__icon" aria-hidden="true">
        ✓
      </div>
      <h1>Thank you! Your order is placed.</h1>
      <p>
        Order <strong className="mono">{order.id}</strong> · {plural(order.itemCount, 'item')} ·{' '}
        {formatMoney(order.totalMinor, identity)}
      </p>
      <p className="muted">We will deliver to {order.address.city}. You can follow it in your orders.</p>
      <p className="form-actions form-actions--center">
        <a className="button button--primary" href={`/orders/${encodeURIComponent(order.id)}`}>
          View the order
        </a>
        <a className="button" href="/">
          Continue shopping
        </a>
      </p>
    </section>
  );
}

/** What placing an order sends. */
interface OrderRequest {
  readonly address: Address;
  readonly paymentMethod: PaymentMethod;
}

function CheckoutForm(): ReactNode {
  const api = useApi();
  const identity = useIdentity();
  const context = useRemoteContext();
  const { events } = context;
  const cart = useApiData<Cart>('/api/cart');
  const profile = useApiData<Profile>('/api/profile');
  const payment = useApiData<PaymentMethods>('/api/checkout/payment-methods', [
    cart.status === 'ok' ? cart.data.totalMinor : 0,
  ]);
  const methods = payment.status === 'ok' ? payment.data.methods : null;
  const [address, setAddress] = useState<Address>(EMPTY_ADDRESS);
  const [touched, setTouched] = useState(false);
  const [method, setMethod] = useState<PaymentMethod | null>(null);
  const [placing, setPlacing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [placed, setPlaced] = useState<Order | null>(null);

  // The form as the user left it, once they changed something: what an expiry keeps for their next sign-in.
  const [edited, setEdited] = useState(false);
  const [kept, setKept] = useState(false);
  const draft = useRef<OrderRequest | undefined>(undefined);
  draft.current = edited && method ? { address, paymentMethod: method } : undefined;
  /** Set once a kept form came back: the saved address must not overwrite it. */
  const restored = useRef(false);

  const saved = profile.status === 'ok' ? profile.data.defaultAddress : null;
  useEffect(() => {
    if (saved && !restored.current) setAddress({ ...EMPTY_ADDRESS, ...saved });
  }, [saved]);
  // The session expires while the form is open: it waits at the BFF (never in the browser) for the same
  // user's next sign-in, which shows it again as it was; nothing is sent without the user.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per mount, whatever the context does after
  useEffect(() => keepOnExpiry(context, 'checkout-draft', () => draft.current), []);
  // Back from the security code a large order asked for: the order is placed once more, with the address and
  // payment method as they were (they waited at the BFF, never in the browser). Back from a sign-in after an
  // expiry: the form as it was, to send again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per mount, whatever the context does after
  useEffect(() => {
    void resumeStepUp<Order | undefined>(context, {
      'place-order': (body) => api.post<Order>('/api/checkout/orders', body),
      'checkout-draft': async () => undefined,
    }).then((resumed) => {
      if (!resumed) return;
      const body = resumed.data as OrderRequest;
      restored.current = true;
      setAddress({ ...EMPTY_ADDRESS, ...body.address });
      setMethod(body.paymentMethod);
      setTouched(true);
      setEdited(true);
      if (resumed.action === 'checkout-draft') return setKept(true);
      if (resumed.result) {
        events.emit('cart:changed', { itemCount: 0 });
        setPlaced(resumed.result);
      } else setError(problemText(resumed.error));
    });
  }, []);
  useEffect(() => {
    if (!methods) return;
    const current = methods.find((option) => option.id === method);
    if (!current?.eligible) setMethod(methods.find((option) => option.eligible)?.id ?? null);
  }, [methods, method]);

  if (placed) return <Placed order={placed} />;
  if (cart.status === 'loading') return <Skeleton kind="lines" count={8} />;
  if (cart.status === 'error') return <ErrorView error={cart.error} what="cart" retry={cart.reload} />;
  const c = cart.data;
  if (!c.items.length)
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
        <p>Add something to your cart to check out.</p>
      </StateView>
    );

  const cartValid = c.items.every((line) => line.product?.inStock && line.product.stock >= line.quantity);
  const addressValid = Object.keys(addressProblems(address)).length === 0;
  const option = methods?.find((o) => o.id === method);
  const methodValid = Boolean(option?.eligible);
  // The checkout API's figure once it answered (delivery is free from ₹499 of list prices, else ₹49).
  const toPay =
    payment.status === 'ok' ? payment.data.totalMinor : c.totalMinor + shippingFor(c.subtotalMinor);
  const shipping = toPay - c.totalMinor;
  const ready = cartValid && addressValid && methodValid;
  // A hint only: the API asks for the step-up, with the level it needs.
  const needsSecondFactor = toPay > STEP_UP_ORDER_MINOR;
  const hasSecondFactor = meetsLevel(context, SECOND_FACTOR_LEVEL);

  const place = async () => {
    setTouched(true);
    if (!ready || !method) return;
    setPlacing(true);
    setError(null);
    try {
      const line2 = address.line2?.trim();
      const body: OrderRequest = {
        address: { ...address, line2: line2 || undefined },
        paymentMethod: method,
      };
      // A large order without a recent security code: the order waits at the BFF while the user gives it.
      const order = await withStepUp(context, 'place-order', body, () =>
        api.post<Order>('/api/checkout/orders', body),
      );
      events.emit('cart:changed', { itemCount: 0 });
      setPlaced(order);
    } catch (caught) {
      if (caught instanceof UnauthenticatedError) return;
      setError(problemText(caught));
      if (caught instanceof ApiError && caught.status === 409) cart.reload();
    } finally {
      setPlacing(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Checkout"
        subtitle={`${plural(c.itemCount, 'item')} · ${formatMoney(c.totalMinor, identity)}`}
      />
      <ol className="steps">
        <li className="is-done">1. Cart</li>
        <li className={addressValid ? 'is-done' : 'is-current'}>2. Delivery address</li>
        <li className={addressValid ? (methodValid ? 'is-done' : 'is-current') : undefined}>3. Payment</li>
      </ol>
      {kept && (
        <p className="alert alert--info" role="status" data-testid="checkout-kept">
          Your session had expired: here is your order as you left it. Check it and place it again.
        </p>
      )}
      {error && (
        <p className="alert alert--error" role="alert" data-testid="checkout-error">
          {error}
        </p>
      )}
      <div className="two-col">
        <div>
          <section className="card" aria-labelledby="delivery-title">
            <h2 className="card__title" id="delivery-title">
              Delivery address
            </h2>
            {saved && <p className="muted">From your profile. Change it here for this order only.</p>}
            <AddressForm
              address={address}
              onChange={(next) => {
                setEdited(true);
                setAddress(next);
              }}
              showProblems={touched}
            />
          </section>
          <section className="card" aria-labelledby="payment-title">
            <h2 className="card__title" id="payment-title">
              Payment method
            </h2>
            {payment.status === 'loading' && <Skeleton kind="lines" count={3} />}
            {payment.status === 'error' && (
              <ErrorView error={payment.error} what="payment methods" retry={payment.reload} />
            )}
            {methods && (
              <div className="payment-options" role="radiogroup">
                {methods.map((o) => (
                  <label
                    key={o.id}
                    className={`payment-option${o.id === method ? ' is-selected' : ''}${o.eligible ? '' : ' is-disabled'}`}
                  >
                    <input
                      type="radio"
                      name="payment"
                      value={o.id}
                      checked={o.id === method}
                      disabled={!o.eligible}
                      onChange={() => {
                        setEdited(true);
                        setMethod(o.id);
                      }}
                    />
                    <span>
                      <strong>{o.label}</strong>
                      {!o.eligible && o.reason && <span className="note note--error"> — {o.reason}</span>}
                    </span>
                  </label>
                ))}
              </div>
            )}
          </section>
        </div>
        <aside>
          <section className="card summary">
            <h2 className="card__title">Your order</h2>
            <ul className="checks">
              {c.items.map((line) => (
                <li key={line.productId}>
                  <span>
                    {line.quantity} × {line.product?.name ?? line.productId}
                  </span>
                </li>
              ))}
            </ul>
            <dl className="section">
              <dt>Items</dt>
              <dd>{formatMoney(c.subtotalMinor, identity)}</dd>
              {c.discountMinor > 0 && (
                <>
                  <dt>Member savings</dt>
                  <dd className="saving">−{formatMoney(c.discountMinor, identity)}</dd>
                </>
              )}
              <dt>Delivery</dt>
              <dd>{shipping ? formatMoney(shipping, identity) : 'Free'}</dd>
              <dt className="summary__total">To pay</dt>
              <dd className="summary__total">{formatMoney(toPay, identity)}</dd>
            </dl>
          </section>
          <section className="card" aria-labelledby="checks-title" data-testid="checkout-checks">
            <h2 className="card__title" id="checks-title">
              Before you place the order
            </h2>
            <ul className="checks">
              <Check state="ok">Your account can place orders</Check>
              <Check state={cartValid ? 'ok' : 'bad'}>
                {cartValid ? 'Everything is in stock' : 'Something in your cart is out of stock'}
              </Check>
              <Check state={addressValid ? 'ok' : touched ? 'bad' : 'wait'}>
                {addressValid ? 'We deliver to this address' : 'Complete the delivery address'}
              </Check>
              <Check state={methodValid ? 'ok' : payment.status === 'loading' ? 'wait' : 'bad'}>
                {methodValid ? `${option?.label} can pay for this order` : 'Choose a payment method'}
              </Check>
              {needsSecondFactor && (
                <Check state={hasSecondFactor ? 'ok' : 'wait'}>
                  {hasSecondFactor
                    ? 'Your security code is confirmed for this order'
                    : 'Orders over ₹20,000 need your security code: you will be asked for it'}
                </Check>
              )}
            </ul>
            <button
              type="button"
              className="button button--primary button--block button--lg section"
              disabled={placing || !cartValid}
              onClick={place}
              data-testid="place-order"
            >
              {placing ? 'Placing your order…' : `Place order · ${formatMoney(toPay, identity)}`}
            </button>
            <p className="muted">The shop checks everything again when you place the order.</p>
          </section>
        </aside>
      </div>
    </>
  );
}

/** Checkout: the remote checks what the seed asks (may place orders? cart valid? address? payment?); the API decides. */
function Checkout(): ReactNode {
  const canOrder = useCan('checkout:place_order');
  if (!canOrder)
    return (
      <StateView kind="no-access" title="Your account cannot place orders">
        <p>Support and store-manager accounts do not shop. Sign in with a customer account to check out.</p>
        <p>
          <a href="/">Back to the shop</a>
        </p>
      </StateView>
    );
  return (
    <div data-testid="checkout">
      <CheckoutForm />
    </div>
  );
}

/** The checkout remote. */
export const remote = defineReactRemote(Checkout);
