import {
  defineRemote,
  ForbiddenError,
  NotFoundError,
  type RemoteContext,
  UnauthenticatedError,
} from '@gatehouse/remote';

/** An order as the orders API answers it (`GET /api/orders` and `/api/orders/:id`): the fields read here. */
export interface Order {
  readonly id: string;
  readonly ownerId: string;
  readonly status: 'placed' | 'packed' | 'shipped' | 'delivered' | 'cancelled';
  /** In minor units: 129900 is ₹1,299.00. */
  readonly totalMinor: number;
  readonly currency: string;
}

/** What the orders remote shows: the feature check and the API answer decide, the DOM only renders it. */
export type OrdersView =
  | { readonly kind: 'list'; readonly orders: readonly Order[] }
  | { readonly kind: 'order'; readonly order: Order; readonly assisting: boolean }
  | { readonly kind: 'sign-in' | 'no-access' | 'not-found' };

// What this remote holds about the user. It must be forgotten at logout and at unmount.
const cache = new Map<string, Order>();

/** Decides the view for the current route: pure of DOM, so a unit test runs it with `createTestContext`. */
export async function ordersView(context: RemoteContext): Promise<OrdersView> {
  if (!context.identity.isAuthenticated) return { kind: 'sign-in' };
  // A feature check for the UI; the orders API checks again for real (ownership too).
  if (!context.can('orders:view')) return { kind: 'no-access' };
  const id = context.route.params.id;
  try {
    if (!id) return { kind: 'list', orders: await context.api.get<Order[]>('/api/orders') };
    const order = cache.get(id) ?? (await context.api.get<Order>(`/api/orders/${encodeURIComponent(id)}`));
    cache.set(id, order);
    // Support (`orders:view_any`) on someone else's order gets the customer-assistance panel.
    const assisting = order.ownerId !== context.identity.user.id && context.can('orders:view_any');
    return { kind: 'order', order, assisting };
  } catch (error) {
    // 403 and 404 are the remote's to show; a 401 is the shell's (it is already taking the user to login).
    if (error instanceof ForbiddenError) return { kind: 'no-access' };
    if (error instanceof NotFoundError) return { kind: 'not-found' };
    if (error instanceof UnauthenticatedError) return { kind: 'sign-in' };
    throw error;
  }
}

/** How many orders this remote holds in memory (for tests). */
export const cachedOrders = () => cache.size;

function render(element: HTMLElement, view: OrdersView, context: RemoteContext): void {
  const heading = document.createElement('h1');
  const body = document.createElement('p');
  element.dataset.view = view.kind;
  if (view.kind === 'list') {
    heading.textContent = 'Your orders';
    body.textContent = view.orders.map((order) => order.id).join(', ') || 'No orders yet.';
  } else if (view.kind === 'order') {
    heading.textContent = `Order ${view.order.id}`;
    const total = `${(view.order.totalMinor / 100).toFixed(2)} ${view.order.currency}`;
    body.textContent = `${view.order.status}, total ${total}${view.assisting ? ' · assisting the customer' : ''}`;
  } else if (view.kind === 'sign-in') {
    heading.textContent = 'Sign in to see your orders';
    const button = document.createElement('button');
    button.textContent = 'Sign in';
    button.onclick = () => context.login();
    body.append(button);
  } else {
    heading.textContent =
      view.kind === 'no-access' ? 'You do not have access to this order' : 'No such order';
  }
  element.replaceChildren(heading, body);
}

let stopListening: (() => void) | undefined;

/** The orders remote: what the shell imports from this module's `remote` export. */
export const remote = defineRemote({
  async mount(element, context) {
    element.textContent = 'Loading…';
    // Forget the user the moment the session ends (logout, expiry, another tab, the identity provider).
    stopListening = context.events.on('auth:logged-out', () => cache.clear());
    render(element, await ordersView(context), context);
  },
  async update(context, element) {
    render(element, await ordersView(context), context);
  },
  unmount(element) {
    stopListening?.();
    cache.clear();
    element.replaceChildren();
  },
});
