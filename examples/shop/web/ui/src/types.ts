// What the shop's APIs answer, as the browser sees it. Written here (the browser half does not import the
// server's package); `test/web-types.test-d.ts`, checked by the typecheck, keeps every type matching the
// services' own.

/** A delivery address in India. */
export interface Address {
  readonly name: string;
  readonly line1: string;
  readonly line2?: string;
  readonly city: string;
  readonly state: string;
  /** Six digits. */
  readonly postalCode: string;
  readonly country: 'IN';
  readonly phone: string;
}

/** `GET /api/catalog/products/:id` (prices in paise). */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly brand: string;
  readonly description: string;
  readonly category: { readonly slug: string; readonly name: string };
  readonly priceMinor: number;
  readonly currency: string;
  readonly stock: number;
  readonly inStock: boolean;
  /** Out of 5. */
  readonly rating: number;
  /** An SVG `data:` URI. */
  readonly image: string;
  readonly updatedAt: string;
  /** Signed in only. */
  readonly memberPriceMinor?: number;
  readonly offer?: { readonly label: string; readonly percentOff: number };
}

/** `GET /api/catalog/products` */
export interface ProductPage {
  readonly items: readonly Product[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}

/** `GET /api/catalog/categories` */
export interface Category {
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly productCount: number;
}

type ProductBrief = Pick<
  Product,
  'name' | 'image' | 'priceMinor' | 'memberPriceMinor' | 'inStock' | 'category'
>;

/** A line of `GET /api/cart`; `product` is `null` when the catalog no longer sells it. */
export interface CartLine {
  readonly productId: string;
  readonly quantity: number;
  readonly addedAt: string;
  readonly product: (ProductBrief & Pick<Product, 'stock'>) | null;
  readonly lineTotalMinor: number;
}

/** `GET /api/cart` */
export interface Cart {
  readonly items: readonly CartLine[];
  readonly itemCount: number;
  readonly currency: string;
  readonly subtotalMinor: number;
  readonly discountMinor: number;
  readonly totalMinor: number;
}

export type PaymentMethod = 'card' | 'upi' | 'cod';

/** `GET /api/checkout/payment-methods` */
export interface PaymentMethodOption {
  readonly id: PaymentMethod;
  readonly label: string;
  readonly eligible: boolean;
  readonly reason?: string;
}

/** `GET /api/checkout/payment-methods`: each method's eligibility for the current cart, delivery included. */
export interface PaymentMethods {
  readonly currency: string;
  /** What the order would cost now: the cart's total and the delivery fee. */
  readonly totalMinor: number;
  readonly methods: readonly PaymentMethodOption[];
}

/** `GET /api/orders` */
export interface OrderSummary {
  readonly id: string;
  readonly ownerId: string;
  readonly tenant: string | null;
  readonly status: 'placed' | 'packed' | 'shipped' | 'delivered' | 'cancelled';
  readonly placedAt: string;
  readonly currency: string;
  readonly totalMinor: number;
  readonly itemCount: number;
}

export interface OrderLine {
  readonly productId: string;
  readonly name: string;
  readonly unitPriceMinor: number;
  readonly quantity: number;
  readonly lineTotalMinor: number;
}

/** `GET /api/orders/:id` */
export interface Order extends OrderSummary {
  readonly subtotalMinor: number;
  readonly discountMinor: number;
  readonly shippingMinor: number;
  readonly paymentMethod: PaymentMethod;
  readonly address: Address;
  readonly items: readonly OrderLine[];
}

/** `GET /api/profile` */
export interface Profile {
  readonly id: string;
  readonly displayName: string;
  readonly email: string;
  readonly phone: string;
  readonly locale: string;
  readonly currency: string;
  readonly marketingOptIn: boolean;
  readonly defaultAddress: Address | null;
  readonly updatedAt: string | null;
}

/** An item of `GET /api/profile/wishlist`. */
export interface WishlistItem {
  readonly productId: string;
  readonly addedAt: string;
  readonly product: ProductBrief | null;
}

/** `GET /api/org/:tenant/users` */
export interface OrgMember {
  readonly id: string;
  readonly displayName: string;
  readonly email: string;
  readonly role: 'org_admin' | 'member';
  readonly status: 'active' | 'invited' | 'suspended';
  readonly joinedAt: string;
}

/** `GET /api/org/:tenant/billing` */
export interface OrgBilling {
  readonly tenant: string;
  readonly plan: 'starter' | 'business' | 'enterprise';
  readonly email: string;
  readonly seats: number;
  readonly updatedAt: string;
}

/** An entry of `GET /api/org/:tenant/audit-logs`. */
export interface AuditLogEntry {
  readonly id: number;
  readonly time: string;
  readonly service: string;
  readonly action: string;
  readonly outcome: 'success' | 'denied' | 'failure';
  readonly actor: { readonly iss: string; readonly sub: string } | null;
  readonly permission: string | null;
  readonly resource: { readonly type: string | null; readonly id: string | null } | null;
  readonly tenant: string;
  readonly reason: string | null;
  readonly status: number;
  readonly method: string;
  readonly route: string;
  readonly traceId: string | null;
}

/** `GET /api/org/:tenant/audit-logs` */
export interface AuditLogPage {
  readonly items: readonly AuditLogEntry[];
  readonly next: number | null;
}

/** `GET /api/admin/users` */
export interface DirectoryUser {
  readonly id: string;
  readonly displayName: string;
  readonly email: string;
  readonly roles: readonly string[];
  readonly status: string;
  readonly createdAt: string;
  readonly tenants: readonly { readonly id: string; readonly role: string }[];
}

/** `GET /api/org/:tenant` */
export interface Organisation {
  readonly id: string;
  readonly name: string;
  readonly memberCount: number;
  readonly myRoles: readonly string[];
  readonly myPermissions: readonly string[];
}
