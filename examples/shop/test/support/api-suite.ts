import { devIdpAcr } from '@gatehouse/dev-idp';
import { API_HEADERS, signIn, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type AuditLogPage,
  type Cart,
  type Database,
  listAuditLog,
  type Order,
  type OrderSummary,
  type Product,
  SECOND_FACTOR,
  SERVICE_KEY_HEADER,
  shopServiceAudiences,
} from '../../src/index.js';
import { type Login, type ShopStack, startShopStack } from './shop-stack.js';

const ADDRESS = {
  name: 'Alice Iyer',
  line1: '12 MG Road',
  line2: 'Indiranagar',
  city: 'Bengaluru',
  state: 'Karnataka',
  postalCode: '560038',
  country: 'IN',
  phone: '+91 98450 12345',
};

/**
 * The shop's APIs through the real BFF with real dev-IdP sessions: the IDOR and role cases of issue 3 and
 * the API-level journeys of issue 5. Run once per database implementation: the same requests must give the
 * same answers on PGlite and on a Postgres server.
 */
export function shopApiSuite(open: () => Promise<{ db: Database; dispose(): Promise<void> }>): void {
  let shop: ShopStack;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const opened = await open();
    dispose = opened.dispose;
    shop = await startShopStack(opened.db);
  });
  afterAll(async () => {
    await shop?.close();
    await dispose?.();
  });

  const api = (
    who: Login | 'anonymous',
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => shop.api(who, method, path, body, headers);
  const stockOf = async (id: string) =>
    (await shop.db.query<{ stock: number }>('SELECT stock FROM catalog.products WHERE id = $1', [id]))[0]
      ?.stock;
  const auditOf = (tenant: string) => listAuditLog(shop.db, tenant, { limit: 200 });

  // --- orders: ownership (issue 3: IDOR) -------------------------------------------------------------

  it('lets bob read neither alice’s order_123 (403) nor a missing one (404); carol (support) reads any', async () => {
    const bobs = await api('bob', 'GET', '/orders/order_123');
    expect(bobs.status).toBe(403);
    expect(bobs.header('content-type')).toMatch(/^application\/problem\+json/);
    expect(bobs.json()).toMatchObject({ status: 403, code: 'forbidden' });
    expect(bobs.text).not.toContain('user_alice');

    const none = await api('bob', 'GET', '/orders/order_nope');
    expect(none.status).toBe(404);
    expect(none.json()).toMatchObject({ code: 'not_found' });

    const carols = await api('carol', 'GET', '/orders/order_123');
    expect(carols.status).toBe(200);
    expect(carols.json<Order>()).toMatchObject({
      id: 'order_123',
      ownerId: 'user_alice',
      items: [{ productId: 'prod_earbuds' }],
    });
    expect((await api('alice', 'GET', '/orders/order_123')).status).toBe(200);
    expect((await api('bob', 'GET', '/orders/order_456')).status).toBe(200);
  });

  it('lists only the caller’s orders, or every order for support', async () => {
    const alices = (await api('alice', 'GET', '/orders')).json<OrderSummary[]>();
    expect(alices.map((order) => order.id)).toContain('order_123');
    expect(alices.every((order) => order.ownerId === 'user_alice')).toBe(true);
    const carols = (await api('carol', 'GET', '/orders')).json<OrderSummary[]>();
    expect(carols.map((order) => order.id)).toEqual(expect.arrayContaining(['order_123', 'order_456']));
    expect((await api('dave', 'GET', '/orders')).status).toBe(403); // store manager: no orders:view
  });

  it('writes the denied read of another’s order to the audit log', async () => {
    const [denied] = await shop.db.query<{ outcome: string; actor_sub: string; resource_id: string }>(
      `SELECT outcome, actor_sub, resource_id FROM audit.events
        WHERE action = 'orders.read' AND actor_sub = 'user_bob' AND resource_id = 'order_123'`,
    );
    expect(denied).toEqual({ outcome: 'denied', actor_sub: 'user_bob', resource_id: 'order_123' });
  });

  // --- org: tenants (issue 3: tenant from the token, never from a header) ------------------------------

  it('keeps frank (globex member) out of acme’s users and lets him see globex’s', async () => {
    const acme = await api('frank', 'GET', '/org/acme/users');
    expect(acme.status).toBe(403);
    expect(acme.json()).toMatchObject({ code: 'forbidden' });
    const globex = await api('frank', 'GET', '/org/globex/users');
    expect(globex.status).toBe(200);
    expect(globex.json<{ id: string; role: string }[]>()).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'user_frank', role: 'member' })]),
    );
    expect(globex.text).not.toContain('user_erin');
  });

  it('ignores X-Tenant-ID: the tenant comes from the route, checked against the token', async () => {
    const spoofed = await api('frank', 'GET', '/org/acme/users', undefined, { 'x-tenant-id': 'acme' });
    expect(spoofed.status).toBe(403);
    const erinAcme = await api('erin', 'GET', '/org/acme/users', undefined, { 'x-tenant-id': 'globex' });
    expect(erinAcme.status).toBe(200);
    expect(erinAcme.json<{ id: string }[]>().map((member) => member.id)).toContain('user_erin');
    const erinGlobex = await api('erin', 'GET', '/org/globex/users', undefined, { 'x-tenant-id': 'globex' });
    expect(erinGlobex.status).toBe(403);

    // Straight to the org service with frank's real token and the header: still 403.
    const token = await shop.accessToken('frank', 'org');
    const direct = await fetch(`${shop.apis.urls.org}/org/acme/users`, {
      headers: { authorization: `Bearer ${token}`, 'x-tenant-id': 'acme' },
    });
    expect(direct.status).toBe(403);
  });

  it('records frank’s denied attempt in acme’s audit log', async () => {
    const { items } = await auditOf('acme');
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'org.users.read',
          outcome: 'denied',
          actor: expect.objectContaining({ sub: 'user_frank' }),
        }),
      ]),
    );
  });

  it('serves the admin users list to erin (role admin) only', async () => {
    const erins = await api('erin', 'GET', '/admin/users');
    expect(erins.status).toBe(200);
    const users = erins.json<{ id: string; tenants: { id: string; role: string }[] }[]>();
    expect(users.find((user) => user.id === 'user_erin')?.tenants).toEqual([
      { id: 'acme', role: 'org_admin' },
    ]);
    expect(users.length).toBeGreaterThanOrEqual(6);
    for (const who of ['alice', 'carol', 'dave', 'frank'] as const) {
      expect((await api(who, 'GET', '/admin/users')).status).toBe(403);
    }
  });

  it('asks for a step-up (RFC 9470) when erin edits billing without her second factor; with it, she can', async () => {
    const passwordOnly = new TestBrowser();
    await signIn(passwordOnly, shop.bffUrl, 'erin');
    const level = await passwordOnly.request(`${shop.bffUrl}/auth/session`);
    expect(level.json()).toMatchObject({
      session: { acr: devIdpAcr.password, authTime: expect.any(Number) },
    });
    const refused = await passwordOnly.request(`${shop.bffUrl}/api/org/acme/billing`, {
      method: 'PATCH',
      headers: API_HEADERS,
      json: { seats: 31 },
    });
    // The API's 401 insufficient_user_authentication became the BFF's typed problem, with the level to reach.
    expect(refused.status).toBe(401);
    expect(refused.header('www-authenticate')).toBeUndefined();
    expect(refused.json()).toMatchObject({
      code: 'step_up_required',
      acr_values: devIdpAcr.securityCode,
      max_age: SECOND_FACTOR.maxAge,
    });
    expect((await api('erin', 'GET', '/org/acme/billing')).json()).not.toMatchObject({ seats: 31 });
    const strong = await shop.browsers.erin.request(`${shop.bffUrl}/auth/session`);
    expect(strong.json()).toMatchObject({ session: { acr: devIdpAcr.securityCode } });
  });

  it('lets erin read and change acme’s billing (audited in acme), and nobody else', async () => {
    const billing = await api('erin', 'GET', '/org/acme/billing');
    expect(billing.status).toBe(200);
    expect(billing.json()).toMatchObject({ tenant: 'acme', plan: 'business', email: 'billing@acme.example' });

    const changed = await api('erin', 'PATCH', '/org/acme/billing', {
      email: 'finance@acme.example',
      seats: 30,
    });
    expect(changed.status).toBe(200);
    expect(changed.json()).toMatchObject({ email: 'finance@acme.example', seats: 30, plan: 'business' });
    expect((await api('erin', 'GET', '/org/acme/billing')).json()).toMatchObject({
      email: 'finance@acme.example',
    });

    expect((await api('erin', 'PATCH', '/org/acme/billing', { tenantId: 'globex' })).status).toBe(400);
    expect((await api('erin', 'PATCH', '/org/acme/billing', { email: 'not an email' })).status).toBe(400);
    expect((await api('erin', 'GET', '/org/globex/billing')).status).toBe(403);
    expect((await api('frank', 'GET', '/org/globex/billing')).status).toBe(403); // member: users:view only
    expect((await api('frank', 'PATCH', '/org/globex/billing', { email: 'x@globex.example' })).status).toBe(
      403,
    );

    const { items } = await auditOf('acme');
    const updates = items.filter(
      (entry) => entry.action === 'billing.update' && entry.actor?.sub === 'user_erin',
    );
    // Newest first: the refused PATCHes (400) after the one that went through.
    expect(updates.slice(0, 3).map((entry) => [entry.outcome, entry.status])).toEqual([
      ['failure', 400],
      ['failure', 400],
      ['success', 200],
    ]);
    expect(updates[2]).toMatchObject({
      action: 'billing.update',
      outcome: 'success',
      tenant: 'acme',
      actor: { sub: 'user_erin' },
      method: 'PATCH',
      route: '/org/:tenant/billing',
    });
  });

  it('serves acme’s audit log to erin, newest first and acme only, in pages; not to frank', async () => {
    const first = await api('erin', 'GET', '/org/acme/audit-logs?limit=3');
    expect(first.status).toBe(200);
    const page = first.json<AuditLogPage>();
    expect(page.items).toHaveLength(3);
    expect(page.items.every((entry) => entry.tenant === 'acme')).toBe(true);
    const ids = page.items.map((entry) => entry.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(page.next).toBe(ids[2]);
    const older = (
      await api('erin', 'GET', `/org/acme/audit-logs?limit=3&before=${page.next}`)
    ).json<AuditLogPage>();
    expect(older.items[0]!.id).toBeLessThan(ids[2]!);
    const all = (await api('erin', 'GET', '/org/acme/audit-logs?limit=200')).json<AuditLogPage>();
    expect(all.items.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['org.create', 'billing.update']),
    );
    expect(all.next).toBeNull();
    expect((await api('frank', 'GET', '/org/globex/audit-logs')).status).toBe(403);
    expect((await api('erin', 'GET', '/org/globex/audit-logs')).status).toBe(403);
  });

  // --- profile: mass assignment ----------------------------------------------------------------------

  it('refuses a profile PATCH that sets roles, id, tenantId or ownerId (400), and saves a plain one (audited)', async () => {
    for (const body of [
      { roles: ['admin'] },
      { id: 'user_bob' },
      { tenantId: 'acme' },
      { ownerId: 'user_bob' },
    ]) {
      const answer = await api('alice', 'PATCH', '/profile', body);
      expect(answer.status).toBe(400);
      expect(answer.json()).toMatchObject({
        code: 'bad_request',
        detail: expect.stringContaining(Object.keys(body)[0]!),
      });
    }
    const mixed = await api('alice', 'PATCH', '/profile', { displayName: 'Alice I.', roles: ['admin'] });
    expect(mixed.status).toBe(400);
    expect((await api('alice', 'GET', '/profile')).json()).toMatchObject({
      id: 'user_alice',
      displayName: 'Alice',
    });

    const saved = await api('alice', 'PATCH', '/profile', {
      displayName: 'Alice Iyer',
      defaultAddress: ADDRESS,
    });
    expect(saved.status).toBe(200);
    expect(saved.json()).toMatchObject({
      id: 'user_alice',
      displayName: 'Alice Iyer',
      defaultAddress: ADDRESS,
    });
    expect((await api('alice', 'GET', '/profile')).json()).toMatchObject({ displayName: 'Alice Iyer' });
    expect((await api('bob', 'GET', '/profile')).json()).toMatchObject({
      id: 'user_bob',
      displayName: 'Bob',
    });

    expect((await api('carol', 'PATCH', '/profile', { displayName: 'C' })).status).toBe(403); // no profile:edit
    const [event] = await shop.db.query<{ outcome: string }>(
      `SELECT outcome FROM audit.events WHERE action = 'profile.update' AND actor_sub = 'user_alice' AND status = 200`,
    );
    expect(event).toEqual({ outcome: 'success' });
  });

  it('keeps each user’s wishlist: seeded, added to once, removed from, with member prices', async () => {
    type Wish = { productId: string; product: { name: string; memberPriceMinor?: number } | null };
    const seeded = (await api('alice', 'GET', '/profile/wishlist')).json<Wish[]>();
    expect(seeded.map((item) => item.productId).sort()).toEqual(['prod_book_cookbook', 'prod_smartwatch']);
    expect(seeded.every((item) => item.product?.memberPriceMinor !== undefined)).toBe(true);

    const added = await api('alice', 'PUT', '/profile/wishlist/prod_speaker');
    expect(added.status).toBe(200);
    expect(added.json<Wish[]>()[0]).toMatchObject({
      productId: 'prod_speaker',
      product: { name: 'Bassline Portable Speaker' },
    });
    expect((await api('alice', 'PUT', '/profile/wishlist/prod_speaker')).json<Wish[]>()).toHaveLength(3);
    expect((await api('alice', 'PUT', '/profile/wishlist/prod_nope')).status).toBe(404);
    expect(
      (await api('bob', 'GET', '/profile/wishlist')).json<Wish[]>().map((item) => item.productId),
    ).toEqual(['prod_cricket_bat']);
    expect((await api('bob', 'DELETE', '/profile/wishlist/prod_speaker')).status).toBe(404); // not bob's
    expect((await api('alice', 'DELETE', '/profile/wishlist/prod_speaker')).json<Wish[]>()).toHaveLength(2);
    expect((await api('anonymous', 'GET', '/profile/wishlist')).status).toBe(401);
    // Changing a wishlist needs wishlist:edit (customers and admins have it; support does not).
    expect((await api('carol', 'GET', '/profile/wishlist')).status).toBe(200);
    expect((await api('carol', 'PUT', '/profile/wishlist/prod_speaker')).status).toBe(403);
    expect((await api('carol', 'DELETE', '/profile/wishlist/prod_speaker')).status).toBe(403);
  });

  // --- catalog -------------------------------------------------------------------------------------------

  it('serves the catalog to anyone, with filters, search and pages; member prices only when signed in', async () => {
    const all = await api('anonymous', 'GET', '/catalog/products?pageSize=50');
    expect(all.status).toBe(200);
    expect(all.header('cache-control')).toBe('public, max-age=30');
    const list = all.json<{ items: Product[]; total: number }>();
    expect(list.total).toBeGreaterThanOrEqual(20);
    expect(
      list.items.every(
        (product) => product.currency === 'INR' && product.image.startsWith('data:image/svg+xml,'),
      ),
    ).toBe(true);
    expect(list.items.some((product) => 'memberPriceMinor' in product)).toBe(false);

    const books = (await api('anonymous', 'GET', '/catalog/products?category=books')).json<{
      items: Product[];
    }>();
    expect(books.items.length).toBeGreaterThanOrEqual(4);
    expect(books.items.every((product) => product.category.slug === 'books')).toBe(true);
    const search = (await api('anonymous', 'GET', '/catalog/products?q=TAGORE')).json<{ items: Product[] }>();
    expect(search.items.map((product) => product.id)).toEqual(['prod_book_gitanjali']);
    const page2 = (
      await api('anonymous', 'GET', '/catalog/products?pageSize=10&page=2&sort=price_asc')
    ).json<{
      items: Product[];
      page: number;
    }>();
    expect(page2.page).toBe(2);
    expect(page2.items).toHaveLength(10);
    const prices = page2.items.map((product) => product.priceMinor);
    expect([...prices].sort((a, b) => a - b)).toEqual(prices);
    expect((await api('anonymous', 'GET', '/catalog/products?pageSize=500')).status).toBe(400);

    const categories = (await api('anonymous', 'GET', '/catalog/categories')).json<
      { slug: string; productCount: number }[]
    >();
    expect(categories.length).toBeGreaterThanOrEqual(4);
    expect(categories.every((category) => category.productCount > 0)).toBe(true);

    const anonymous = (await api('anonymous', 'GET', '/catalog/products/prod_earbuds')).json<Product>();
    expect(anonymous.memberPriceMinor).toBeUndefined();
    const personal = await api('alice', 'GET', '/catalog/products/prod_earbuds');
    expect(personal.header('cache-control')).toBe('private, no-store');
    expect(personal.header('vary')).toMatch(/authorization/i);
    const product = personal.json<Product>();
    expect(product.memberPriceMinor).toBeLessThan(product.priceMinor);
    expect(product.offer).toMatchObject({ label: 'Member price' });
    expect((await api('anonymous', 'GET', '/catalog/products/prod_nope')).status).toBe(404);
  });

  it('lets dave (store manager) edit a product, audited; alice cannot (403), nor an anonymous caller (401)', async () => {
    const current = (await api('dave', 'GET', '/catalog/products/prod_bottle')).json<Product>();
    const update = {
      name: 'Copper Water Bottle 1 L (Hammered)',
      brand: current.brand,
      description: current.description,
      category: current.category.slug,
      priceMinor: 94_900,
      stock: 140,
    };
    const edited = await api('dave', 'PUT', '/catalog/products/prod_bottle', update);
    expect(edited.status).toBe(200);
    expect(edited.json()).toMatchObject({ name: update.name, priceMinor: 94_900, stock: 140 });
    expect((await api('anonymous', 'GET', '/catalog/products/prod_bottle')).json()).toMatchObject({
      priceMinor: 94_900,
    });

    expect(
      (await api('alice', 'PUT', '/catalog/products/prod_bottle', { ...update, priceMinor: 100 })).status,
    ).toBe(403);
    expect((await api('anonymous', 'PUT', '/catalog/products/prod_bottle', update)).status).toBe(401);
    expect(
      (await api('dave', 'PUT', '/catalog/products/prod_bottle', { ...update, id: 'prod_other' })).status,
    ).toBe(400);
    expect(
      (await api('dave', 'PUT', '/catalog/products/prod_bottle', { ...update, updatedBy: 'x' })).status,
    ).toBe(400);
    expect((await api('dave', 'PUT', '/catalog/products/prod_nope', update)).status).toBe(404);
    expect(
      (await api('dave', 'PUT', '/catalog/products/prod_bottle', { ...update, category: 'nope' })).status,
    ).toBe(400);
    expect(await stockOf('prod_bottle')).toBe(140);

    const events = await shop.db.query<{ actor_sub: string; outcome: string }>(
      `SELECT actor_sub, outcome FROM audit.events WHERE action = 'catalog.product.update' ORDER BY id`,
    );
    expect(events).toEqual(
      expect.arrayContaining([
        { actor_sub: 'user_dave', outcome: 'success' },
        { actor_sub: 'user_alice', outcome: 'denied' },
      ]),
    );
  });

  // --- cart and checkout (issue 5 journeys) -----------------------------------------------------------------

  it('takes alice from cart to checkout: the order appears in her orders, the cart is emptied, stock is taken', async () => {
    const tawaStock = await stockOf('prod_tawa');
    let cart = (
      await api('alice', 'POST', '/cart/items', { productId: 'prod_tawa', quantity: 1 })
    ).json<Cart>();
    cart = (await api('alice', 'POST', '/cart/items', { productId: 'prod_tawa', quantity: 1 })).json<Cart>();
    const added = await api('alice', 'POST', '/cart/items', { productId: 'prod_book_malgudi', quantity: 1 });
    expect(added.status).toBe(200);
    cart = (await api('alice', 'GET', '/cart')).json<Cart>();
    expect(cart.items.map((line) => [line.productId, line.quantity])).toEqual([
      ['prod_tawa', 2],
      ['prod_book_malgudi', 1],
    ]);
    expect(cart.itemCount).toBe(3);
    expect(cart.subtotalMinor).toBe(2 * 129_900 + 25_000);
    expect(cart.totalMinor).toBeLessThan(cart.subtotalMinor); // member prices

    const methods = (await api('alice', 'GET', '/checkout/payment-methods')).json<{
      methods: { id: string; eligible: boolean }[];
    }>();
    expect(methods.methods).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'cod', eligible: true })]),
    );

    const placed = await api('alice', 'POST', '/checkout/orders', { address: ADDRESS, paymentMethod: 'upi' });
    expect(placed.status).toBe(201);
    const order = placed.json<Order>();
    expect(order).toMatchObject({
      ownerId: 'user_alice',
      status: 'placed',
      paymentMethod: 'upi',
      currency: 'INR',
      tenant: null,
      totalMinor: cart.totalMinor,
      address: ADDRESS,
    });
    expect(order.items.map((line) => [line.productId, line.quantity])).toEqual(
      expect.arrayContaining([
        ['prod_tawa', 2],
        ['prod_book_malgudi', 1],
      ]),
    );

    const mine = (await api('alice', 'GET', '/orders')).json<OrderSummary[]>();
    expect(mine[0]).toMatchObject({ id: order.id, itemCount: 3 });
    expect((await api('alice', 'GET', `/orders/${order.id}`)).json()).toMatchObject({ id: order.id });
    expect((await api('bob', 'GET', `/orders/${order.id}`)).status).toBe(403);
    expect((await api('alice', 'GET', '/cart')).json<Cart>().items).toEqual([]);
    expect(await stockOf('prod_tawa')).toBe(tawaStock! - 2);
  });

  it('lets grace act in one organisation at a time: the org API follows her switch, with no new sign-in', async () => {
    const switchTo = (tenant: string) =>
      shop.browsers.grace.request(`${shop.bffUrl}/auth/tenant`, {
        method: 'POST',
        headers: { ...API_HEADERS, origin: shop.bffUrl },
        json: { tenant },
      });
    expect((await api('grace', 'GET', '/org/acme/users')).status).toBe(200);
    // A member of globex too, but she works in acme: the token says so, and the org API agrees.
    const refused = await api('grace', 'GET', '/org/globex/users');
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({
      code: 'forbidden',
      detail: expect.stringMatching(/another organisation/),
    });
    try {
      expect((await switchTo('globex')).status).toBe(200);
      expect((await api('grace', 'GET', '/org/globex/users')).status).toBe(200);
      expect((await api('grace', 'GET', '/org/globex/billing')).status).toBe(200);
      expect((await api('grace', 'GET', '/org/acme/users')).status).toBe(403);
      expect((await switchTo('initech')).status).toBe(403);
      expect((await api('grace', 'GET', '/org/globex/users')).status).toBe(200);
    } finally {
      expect((await switchTo('acme')).status).toBe(200);
    }
    expect((await api('grace', 'GET', '/org/acme/users')).status).toBe(200);
  });

  it('puts an order placed by an acme member in acme’s audit log and not in globex’s', async () => {
    await api('grace', 'POST', '/cart/items', { productId: 'prod_yoga_mat', quantity: 1 });
    // The W3C trace id a client sends reaches the audit event, through the BFF and the checkout service.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const placed = await api(
      'grace',
      'POST',
      '/checkout/orders',
      { address: ADDRESS, paymentMethod: 'card' },
      { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    );
    expect(placed.status).toBe(201);
    expect(placed.header('cache-control')).toBe('private, no-store');
    const order = placed.json<Order>();
    expect(order.tenant).toBe('acme');

    const acme = (await api('erin', 'GET', '/org/acme/audit-logs')).json<AuditLogPage>();
    expect(acme.items[0]).toMatchObject({
      action: 'checkout.place_order',
      outcome: 'success',
      tenant: 'acme',
      actor: { sub: 'user_grace' },
      resource: { type: 'order', id: order.id },
      traceId,
    });
    expect((await auditOf('globex')).items.some((entry) => entry.resource?.id === order.id)).toBe(false);

    // frank's order goes to globex's log, never to acme's.
    await api('frank', 'POST', '/cart/items', { productId: 'prod_badminton', quantity: 1 });
    const franks = (
      await api('frank', 'POST', '/checkout/orders', { address: ADDRESS, paymentMethod: 'card' })
    ).json<Order>();
    expect(franks.tenant).toBe('globex');
    expect((await auditOf('globex')).items[0]).toMatchObject({
      action: 'checkout.place_order',
      resource: { id: franks.id },
    });
    const acmeAfter = (await api('erin', 'GET', '/org/acme/audit-logs?limit=200')).json<AuditLogPage>();
    expect(acmeAfter.items.some((entry) => entry.resource?.id === franks.id)).toBe(false);
  });

  it('erin (admin, acme org admin) shops too: her order is audited in acme; dave may not check out', async () => {
    await api('erin', 'POST', '/cart/items', { productId: 'prod_yoga_mat', quantity: 1 });
    const placed = await api('erin', 'POST', '/checkout/orders', { address: ADDRESS, paymentMethod: 'card' });
    expect(placed.status).toBe(201);
    const order = placed.json<Order>();
    expect(order.tenant).toBe('acme');
    const acme = (await api('erin', 'GET', '/org/acme/audit-logs')).json<AuditLogPage>();
    expect(acme.items[0]).toMatchObject({
      action: 'checkout.place_order',
      outcome: 'success',
      actor: { sub: 'user_erin' },
      resource: { type: 'order', id: order.id },
    });
    const denied = await api('dave', 'POST', '/checkout/orders', { address: ADDRESS, paymentMethod: 'card' });
    expect(denied.status).toBe(403);
  });

  it('answers 409 for an empty cart, over-stock at add and at checkout, leaving cart and stock as they were', async () => {
    const empty = await api('bob', 'POST', '/checkout/orders', { address: ADDRESS, paymentMethod: 'card' });
    expect(empty.status).toBe(409);
    expect(empty.json()).toMatchObject({ code: 'conflict', detail: 'Your cart is empty.' });

    expect(
      (await api('bob', 'POST', '/cart/items', { productId: 'prod_keyboard', quantity: 4 })).status,
    ).toBe(409);
    expect(
      (await api('bob', 'POST', '/cart/items', { productId: 'prod_cycle_helmet', quantity: 1 })).json(),
    ).toMatchObject({
      code: 'conflict',
      detail: expect.stringContaining('out of stock'),
    });
    expect((await api('bob', 'POST', '/cart/items', { productId: 'prod_nope', quantity: 1 })).status).toBe(
      404,
    );

    // bob holds all three keyboards in his cart; carol... cannot buy; so frank buys one first.
    expect(
      (await api('bob', 'POST', '/cart/items', { productId: 'prod_keyboard', quantity: 3 })).status,
    ).toBe(200);
    await api('frank', 'POST', '/cart/items', { productId: 'prod_keyboard', quantity: 1 });
    expect(
      (await api('frank', 'POST', '/checkout/orders', { address: ADDRESS, paymentMethod: 'card' })).status,
    ).toBe(201);
    expect(await stockOf('prod_keyboard')).toBe(2);

    const over = await api('bob', 'POST', '/checkout/orders', { address: ADDRESS, paymentMethod: 'card' });
    expect(over.status).toBe(409);
    expect(over.json()).toMatchObject({ code: 'conflict', detail: expect.stringContaining('Only 2') });
    expect(await stockOf('prod_keyboard')).toBe(2);
    expect((await api('bob', 'GET', '/cart')).json<Cart>().itemCount).toBe(3);
    expect((await api('bob', 'DELETE', '/cart/items/prod_keyboard')).json<Cart>().items).toEqual([]);
    expect((await api('bob', 'DELETE', '/cart/items/prod_keyboard')).status).toBe(404);
  });

  it('sells the last one once when two customers check out at the same moment', async () => {
    await shop.db.query(`UPDATE catalog.products SET stock = 1 WHERE id = 'prod_sunglasses'`);
    expect(
      (await api('grace', 'POST', '/cart/items', { productId: 'prod_sunglasses', quantity: 1 })).status,
    ).toBe(200);
    expect(
      (await api('frank', 'POST', '/cart/items', { productId: 'prod_sunglasses', quantity: 1 })).status,
    ).toBe(200);
    const answers = await Promise.all(
      (['grace', 'frank'] as const).map((who) =>
        api(who, 'POST', '/checkout/orders', { address: ADDRESS, paymentMethod: 'card' }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    expect(await stockOf('prod_sunglasses')).toBe(0);
    const loser = answers[0]!.status === 409 ? 'grace' : 'frank';
    expect((await api(loser, 'GET', '/cart')).json<Cart>().itemCount).toBe(1);
    await api(loser, 'DELETE', '/cart');
  });

  it('answers 400 for a bad address, an unknown field or a payment method the total does not allow', async () => {
    await api('bob', 'POST', '/cart/items', { productId: 'prod_saree', quantity: 1 });
    await api('bob', 'POST', '/cart/items', { productId: 'prod_smartwatch', quantity: 1 });
    const badPin = await api('bob', 'POST', '/checkout/orders', {
      address: { ...ADDRESS, postalCode: '000000' },
      paymentMethod: 'card',
    });
    expect(badPin.status).toBe(400);
    expect(
      (await api('bob', 'POST', '/checkout/orders', { address: ADDRESS, paymentMethod: 'cheque' })).status,
    ).toBe(400);
    const owner = await api('bob', 'POST', '/checkout/orders', {
      address: ADDRESS,
      paymentMethod: 'card',
      ownerId: 'user_alice',
    });
    expect(owner.status).toBe(400);
    expect(owner.json()).toMatchObject({ detail: expect.stringContaining('ownerId') });

    const methods = (await api('bob', 'GET', '/checkout/payment-methods')).json<{
      methods: { id: string; eligible: boolean }[];
    }>();
    expect(methods.methods.find((method) => method.id === 'cod')).toMatchObject({ eligible: false });
    const cod = await api('bob', 'POST', '/checkout/orders', { address: ADDRESS, paymentMethod: 'cod' });
    expect(cod.status).toBe(400);
    expect(cod.json()).toMatchObject({ detail: expect.stringContaining('Cash on delivery') });
    expect(await stockOf('prod_saree')).toBe(12);

    const card = await api('bob', 'POST', '/checkout/orders', { address: ADDRESS, paymentMethod: 'card' });
    expect(card.status).toBe(201);
    expect(await stockOf('prod_saree')).toBe(11);
  });

  it('keeps each cart to its owner: the owner is the token’s subject, never a body field', async () => {
    expect(
      (
        await api('carol', 'POST', '/cart/items', {
          productId: 'prod_wallet',
          quantity: 1,
          userId: 'user_alice',
        })
      ).status,
    ).toBe(400);
    await api('carol', 'POST', '/cart/items', { productId: 'prod_wallet', quantity: 2 });
    expect((await api('carol', 'GET', '/cart')).json<Cart>().itemCount).toBe(2);
    expect((await api('alice', 'GET', '/cart')).json<Cart>().items).toEqual([]);
    expect((await api('anonymous', 'GET', '/cart')).status).toBe(401);
    expect((await api('anonymous', 'GET', '/cart')).json()).toMatchObject({ code: 'unauthenticated' });
  });

  // --- every service on its own (CONTRACT: "called directly, with no token or a bad one, it answers 401") ---

  it('answers 401 from every service called directly without a token, with a garbage one or a tampered one', async () => {
    const token = await shop.accessToken('alice', 'orders');
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = [
      header,
      Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url'),
      signature,
    ].join('.');
    const routes: Array<[keyof typeof shop.apis.urls, string, string]> = [
      ['catalog', 'PUT', '/products/prod_tawa'],
      ['cart', 'GET', '/'],
      ['checkout', 'POST', '/orders'],
      ['orders', 'GET', '/order_123'],
      ['profile', 'GET', '/'],
      ['org', 'GET', '/admin/users'],
      ['org', 'GET', '/org/acme/users'],
    ];
    for (const [service, method, path] of routes) {
      for (const authorization of [undefined, 'Bearer not.a.jwt', `Bearer ${tampered}`, `Basic ${token}`]) {
        const answer = await fetch(`${shop.apis.urls[service]}${path}`, {
          method,
          headers: {
            ...(authorization ? { authorization } : {}),
            ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}),
          },
          ...(method !== 'GET' ? { body: '{}' } : {}),
        });
        expect(answer.status, `${service} ${method} ${path} with ${authorization?.slice(0, 12)}`).toBe(401);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(((await answer.json()) as { code: string }).code).toBe('unauthenticated');
      }
    }
    // The real token works directly: it is the BFF's, not a browser's, yet the service checks it the same way.
    const ok = await fetch(`${shop.apis.urls.orders}/order_123`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
  });

  it('gives each API a token for it alone: the catalog token the BFF obtained is refused by every other', async () => {
    const catalog = await shop.accessToken('alice', 'catalog');
    const claims = JSON.parse(Buffer.from(catalog.split('.')[1]!, 'base64url').toString()) as {
      aud: unknown;
    };
    expect(claims.aud).toBe(shopServiceAudiences.catalog);
    // The catalog takes it (member prices for a signed-in caller).
    const own = await fetch(`${shop.apis.urls.catalog}/products/prod_tawa`, {
      headers: { authorization: `Bearer ${catalog}` },
    });
    expect(own.status).toBe(200);
    const routes: Array<[keyof typeof shop.apis.urls, string, string]> = [
      ['cart', 'GET', '/'],
      ['checkout', 'GET', '/payment-methods'],
      ['orders', 'GET', '/'],
      ['profile', 'GET', '/'],
      ['org', 'GET', '/admin/users'],
      ['org', 'PATCH', '/org/acme/billing'],
    ];
    for (const [service, method, path] of routes) {
      const answer = await fetch(`${shop.apis.urls[service]}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${catalog}`,
          ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}),
        },
        ...(method !== 'GET' ? { body: '{}' } : {}),
      });
      expect(answer.status, `${service} ${method} ${path}`).toBe(401);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      expect(((await answer.json()) as { code: string }).code).toBe('unauthenticated');
    }
    // Each upstream got its own: the orders token is another token, for orders only.
    const orders = await shop.accessToken('alice', 'orders');
    expect(orders).not.toBe(catalog);
    const mine = await fetch(`${shop.apis.urls.orders}/`, { headers: { authorization: `Bearer ${orders}` } });
    expect(mine.status).toBe(200);
    const notCatalog = await fetch(`${shop.apis.urls.catalog}/products/prod_tawa`, {
      headers: { authorization: `Bearer ${orders}` },
    });
    expect(notCatalog.status).toBe(401);
  });

  it('keeps internal routes to the services: not through the BFF, not with a user token alone', async () => {
    // Even the checkout token, the one internal routes accept, needs the service key.
    const token = await shop.accessToken('alice', 'checkout');
    const draft = {
      items: [
        {
          productId: 'prod_tawa',
          name: 'Free tawa',
          listPriceMinor: 129_900,
          unitPriceMinor: 1,
          quantity: 1,
        },
      ],
      shippingMinor: 0,
      paymentMethod: 'card',
      address: ADDRESS,
    };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const create = await fetch(`${shop.apis.urls.orders}/`, {
      method: 'POST',
      headers,
      body: JSON.stringify(draft),
    });
    expect(create.status).toBe(403);
    const reserve = await fetch(`${shop.apis.urls.catalog}/internal/stock/reservations`, {
      method: 'POST',
      headers: { ...headers, [SERVICE_KEY_HEADER]: 'guessed' },
      body: JSON.stringify({ items: [{ productId: 'prod_tawa', quantity: 1 }] }),
    });
    expect(reserve.status).toBe(403);
    expect((await api('alice', 'POST', '/orders', draft)).status).toBe(405);
    expect((await api('alice', 'POST', '/catalog/internal/stock/reservations', { items: [] })).status).toBe(
      405,
    );
    expect((await api('alice', 'POST', '/orders', draft, { [SERVICE_KEY_HEADER]: 'guessed' })).status).toBe(
      405,
    );
  });
}
