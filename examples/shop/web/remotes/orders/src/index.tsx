import { defineReactRemote, useCan, useIdentity, useRemoteContext } from '@gatehouse/react';
import {
  Breadcrumbs,
  ErrorView,
  formatDate,
  formatMoney,
  Icon,
  type Order,
  type OrderSummary,
  PageHeader,
  plural,
  Skeleton,
  StateView,
  useApiData,
} from '@gatehouse/shop-ui';
import { type ReactNode, useEffect, useState } from 'react';

const PAYMENT: Record<string, string> = { card: 'Credit or debit card', upi: 'UPI', cod: 'Cash on delivery' };
const STEPS = ['placed', 'packed', 'shipped', 'delivered'] as const;

const Status = ({ status }: { status: string }) => (
  <span className={`status status--${status}`}>{status}</span>
);

function OrderList(): ReactNode {
  const identity = useIdentity();
  const all = useCan('orders:view_any');
  const orders = useApiData<OrderSummary[]>('/api/orders');
  if (orders.status === 'loading') return <Skeleton kind="lines" count={6} />;
  if (orders.status === 'error')
    return <ErrorView error={orders.error} what="list of orders" retry={orders.reload} />;
  return (
    <div data-testid="orders-list">
      <PageHeader
        title={all ? 'Customer orders' : 'Your orders'}
        subtitle={all ? 'Support view: every customer’s orders' : plural(orders.data.length, 'order')}
      />
      {!orders.data.length ? (
        <StateView
          kind="empty"
          title="No orders yet"
          action={
            <a className="button button--primary" href="/">
              Start shopping
            </a>
          }
        />
      ) : (
        <div className="card table-wrap">
          <table className="table table--click">
            <thead>
              <tr>
                <th>Order</th>
                {all && <th>Customer</th>}
                <th>Placed</th>
                <th>Status</th>
                <th className="num">Items</th>
                <th className="num">Total</th>
              </tr>
            </thead>
            <tbody>
              {orders.data.map((order) => (
                <tr key={order.id} data-testid="order-row" data-order-id={order.id}>
                  <td>
                    <a className="mono" href={`/orders/${encodeURIComponent(order.id)}`}>
                      {order.id}
                    </a>
                  </td>
                  {all && <td className="mono">{order.ownerId}</td>}
                  <td>{formatDate(order.placedAt, identity)}</td>
                  <td>
                    <Status status={order.status} />
                  </td>
                  <td className="num">{order.itemCount}</td>
                  <td className="num">{formatMoney(order.totalMinor, identity)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** For support (`orders:view_any`) looking at a customer's order: what they need to help. */
function AssistancePanel({ order }: { order: Order }): ReactNode {
  const identity = useIdentity();
  const canRefund = useCan('orders:refund', { ownerId: order.ownerId });
  const [note, setNote] = useState('');
  // A draft about a customer is dropped with the session (and never stored).
  useEffect(() => () => setNote(''), []);
  const days = Math.floor((Date.now() - Date.parse(order.placedAt)) / 86_400_000);
  return (
    <section className="card assist" data-testid="assistance-panel" aria-labelledby="assist-title">
      <h2 id="assist-title">
        <Icon name="headset" /> Customer assistance
      </h2>
      <div className="summary">
        <dl>
          <dt>Customer</dt>
          <dd className="mono">{order.ownerId}</dd>
          <dt>Organisation</dt>
          <dd>{order.tenant ?? '—'}</dd>
          <dt>Placed</dt>
          <dd>
            {formatDate(order.placedAt, identity, true)} ({plural(days, 'day')} ago)
          </dd>
          <dt>Contact</dt>
          <dd>{order.address.phone}</dd>
        </dl>
      </div>
      <ul className="checks">
        <li className={order.status === 'delivered' ? 'check--ok' : 'check--wait'}>
          {order.status === 'delivered'
            ? 'Delivered: returns open for 7 days'
            : `In progress: ${order.status}`}
        </li>
        <li className={order.paymentMethod === 'cod' ? 'check--wait' : 'check--ok'}>
          {order.paymentMethod === 'cod' ? 'Cash on delivery: nothing charged yet' : 'Paid online'}
        </li>
      </ul>
      <div className="field section">
        <label htmlFor="assist-note">Note for this call (not saved)</label>
        <textarea
          id="assist-note"
          className="textarea"
          value={note}
          onChange={(event) => setNote(event.target.value)}
        />
      </div>
      <div className="form-actions">
        <button
          type="button"
          className="button"
          disabled={!canRefund}
          title={canRefund ? undefined : 'Needs orders:refund'}
        >
          Issue a refund
        </button>
        {!canRefund && <span className="muted">Refunds need the orders:refund permission.</span>}
      </div>
    </section>
  );
}

function OrderDetail({ id }: { id: string }): ReactNode {
  const identity = useIdentity();
  const order = useApiData<Order>(`/api/orders/${encodeURIComponent(id)}`);
  const me = identity.isAuthenticated ? identity.user.id : '';
  const support = useCan('orders:view_any');
  if (order.status === 'loading') return <Skeleton kind="lines" count={8} />;
  if (order.status === 'error')
    return (
      <div data-testid="order-error">
        <ErrorView error={order.error} what="order" retry={order.reload} />
      </div>
    );
  const o = order.data;
  const step = STEPS.indexOf(o.status as (typeof STEPS)[number]);
  const a = o.address;
  return (
    <div data-testid="order-detail">
      <Breadcrumbs items={[{ label: 'Orders', href: '/orders' }, { label: o.id }]} />
      <PageHeader title={`Order ${o.id}`} subtitle={`Placed ${formatDate(o.placedAt, identity, true)}`}>
        <Status status={o.status} />
      </PageHeader>
      {o.status !== 'cancelled' && (
        <ol className="steps" aria-label="Progress">
          {STEPS.map((name, index) => (
            <li
              key={name}
              className={
                index < step || o.status === 'delivered'
                  ? 'is-done'
                  : index === step
                    ? 'is-current'
                    : undefined
              }
            >
              {name[0]!.toUpperCase() + name.slice(1)}
            </li>
          ))}
        </ol>
      )}
      <div className="two-col">
        <div>
          <section className="card table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th>Item</th>
                  <th className="num">Price</th>
                  <th className="num">Qty</th>
                  <th className="num">Total</th>
                </tr>
              </thead>
              <tbody>
                {o.items.map((line) => (
                  <tr key={line.productId}>
                    <td>
                      <a href={`/product/${encodeURIComponent(line.productId)}`}>{line.name}</a>
                    </td>
                    <td className="num">{formatMoney(line.unitPriceMinor, identity)}</td>
                    <td className="num">{line.quantity}</td>
                    <td className="num">{formatMoney(line.lineTotalMinor, identity)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          {support && o.ownerId !== me && <AssistancePanel order={o} />}
        </div>
        <aside>
          <section className="card summary">
            <h2 className="card__title">Payment</h2>
            <dl>
              <dt>Items</dt>
              <dd>{formatMoney(o.subtotalMinor, identity)}</dd>
              {o.discountMinor > 0 && (
                <>
                  <dt>Member savings</dt>
                  <dd className="saving">−{formatMoney(o.discountMinor, identity)}</dd>
                </>
              )}
              <dt>Delivery</dt>
              <dd>{o.shippingMinor ? formatMoney(o.shippingMinor, identity) : 'Free'}</dd>
              <dt className="summary__total">Total</dt>
              <dd className="summary__total">{formatMoney(o.totalMinor, identity)}</dd>
            </dl>
            <p className="muted">{PAYMENT[o.paymentMethod] ?? o.paymentMethod}</p>
          </section>
          <section className="card">
            <h2 className="card__title">Delivery address</h2>
            <address className="address">
              {a.name}
              <br />
              {a.line1}
              {a.line2 && (
                <>
                  <br />
                  {a.line2}
                </>
              )}
              <br />
              {a.city}, {a.state} {a.postalCode}
              <br />
              {a.phone}
            </address>
          </section>
        </aside>
      </div>
    </div>
  );
}

/** Orders: the list, one order, and no-access (403) or not-found (404) views; support gets a help panel. */
function Orders(): ReactNode {
  const { route } = useRemoteContext();
  const canView = useCan('orders:view');
  if (!canView && !route.params.id)
    return (
      <StateView kind="no-access" title="Your account has no orders">
        <p>This role does not shop, so there are no orders to show.</p>
      </StateView>
    );
  return route.params.id ? <OrderDetail key={route.params.id} id={route.params.id} /> : <OrderList />;
}

/** The orders remote. */
export const remote = defineReactRemote(Orders);
