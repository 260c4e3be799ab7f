import { type Migration, sqlMigration } from '../../db/migrate.js';
import { grantSchemaToServices } from '../../db/shop-service-role.js';

const ALICE_ADDRESS = {
  name: 'Alice',
  line1: '12 MG Road',
  line2: 'Indiranagar',
  city: 'Bengaluru',
  state: 'Karnataka',
  postalCode: '560038',
  country: 'IN',
  phone: '+91 98450 12345',
};
const BOB_ADDRESS = {
  name: 'Bob',
  line1: '44 Linking Road',
  line2: 'Bandra West',
  city: 'Mumbai',
  state: 'Maharashtra',
  postalCode: '400050',
  country: 'IN',
  phone: '+91 98200 67890',
};

/** The orders service's schema `orders`: orders and their lines, with alice's `order_123` and bob's `order_456`. */
export const ordersMigrations: readonly Migration[] = [
  sqlMigration('orders/0001-orders', 'orders', [
    'CREATE SCHEMA IF NOT EXISTS orders',
    `CREATE TABLE orders.orders (
       id text PRIMARY KEY,
       owner_id text NOT NULL,
       tenant_id text,
       status text NOT NULL CHECK (status IN ('placed', 'packed', 'shipped', 'delivered', 'cancelled')),
       currency text NOT NULL DEFAULT 'INR',
       subtotal_minor integer NOT NULL CHECK (subtotal_minor >= 0),
       discount_minor integer NOT NULL DEFAULT 0 CHECK (discount_minor >= 0),
       shipping_minor integer NOT NULL DEFAULT 0 CHECK (shipping_minor >= 0),
       total_minor integer NOT NULL CHECK (total_minor >= 0),
       payment_method text NOT NULL CHECK (payment_method IN ('card', 'upi', 'cod')),
       address jsonb NOT NULL,
       placed_at timestamptz NOT NULL DEFAULT now()
     )`,
    'CREATE INDEX orders_by_owner ON orders.orders (owner_id, placed_at DESC)',
    `CREATE TABLE orders.order_items (
       order_id text NOT NULL REFERENCES orders.orders (id) ON DELETE CASCADE,
       line integer NOT NULL CHECK (line > 0),
       product_id text NOT NULL,
       name text NOT NULL,
       unit_price_minor integer NOT NULL CHECK (unit_price_minor >= 0),
       quantity integer NOT NULL CHECK (quantity > 0),
       PRIMARY KEY (order_id, line)
     )`,
  ]),
  {
    id: 'orders/0002-seed',
    service: 'orders',
    async run(tx) {
      const orders = [
        {
          id: 'order_123',
          owner: 'user_alice',
          status: 'delivered',
          daysAgo: 9,
          payment: 'upi',
          address: ALICE_ADDRESS,
          shipping: 0,
          lines: [['prod_earbuds', 'Boltwave Wireless Earbuds', 249_900, 1]] as const,
        },
        {
          id: 'order_456',
          owner: 'user_bob',
          status: 'shipped',
          daysAgo: 3,
          payment: 'cod',
          address: BOB_ADDRESS,
          shipping: 0,
          lines: [
            ['prod_book_gitanjali', 'Gitanjali by Rabindranath Tagore', 19_900, 1],
            ['prod_wallet', 'Leather Bifold Wallet', 79_900, 1],
          ] as const,
        },
      ];
      for (const order of orders) {
        const subtotal = order.lines.reduce((sum, [, , price, quantity]) => sum + price * quantity, 0);
        const inserted = await tx.query(
          `INSERT INTO orders.orders
             (id, owner_id, status, subtotal_minor, shipping_minor, total_minor, payment_method, address, placed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, now() - make_interval(days => $9))
           ON CONFLICT (id) DO NOTHING
           RETURNING id`,
          [
            order.id,
            order.owner,
            order.status,
            subtotal,
            order.shipping,
            subtotal + order.shipping,
            order.payment,
            JSON.stringify(order.address),
            order.daysAgo,
          ],
        );
        if (inserted.length === 0) continue;
        for (const [index, [productId, name, price, quantity]] of order.lines.entries()) {
          await tx.query(
            `INSERT INTO orders.order_items (order_id, line, product_id, name, unit_price_minor, quantity)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
            [order.id, index + 1, productId, name, price, quantity],
          );
        }
      }
    },
  },
  grantSchemaToServices('orders/0003-service-role', 'orders'),
];
