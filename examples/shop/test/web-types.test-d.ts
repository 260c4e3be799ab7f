import { describe, expectTypeOf, it } from 'vitest';
import type * as Server from '../src/index.js';
import type * as Web from '../web/ui/src/types.js';

// The browser half keeps its own copy of the API's types (it does not import the server's package): each
// must still accept what the services answer. A type test: `tsc` checks it with the shop's tsconfig
// (`npm run typecheck`); vitest does not run it.
describe('the UI kit’s API types', () => {
  it('match the services’ own types', () => {
    expectTypeOf<Server.Product>().toExtend<Web.Product>();
    expectTypeOf<Server.Cart>().toExtend<Web.Cart>();
    expectTypeOf<Server.CartLine>().toExtend<Web.CartLine>();
    expectTypeOf<Server.Order>().toExtend<Web.Order>();
    expectTypeOf<Server.OrderSummary>().toExtend<Web.OrderSummary>();
    expectTypeOf<Server.OrderLine>().toExtend<Web.OrderLine>();
    expectTypeOf<Server.PaymentMethodOption>().toExtend<Web.PaymentMethodOption>();
    expectTypeOf<Server.PaymentMethod>().toEqualTypeOf<Web.PaymentMethod>();
    expectTypeOf<Server.Profile>().toExtend<Web.Profile>();
    expectTypeOf<Server.WishlistItem>().toExtend<Web.WishlistItem>();
    expectTypeOf<Server.OrgMember>().toExtend<Web.OrgMember>();
    expectTypeOf<Server.OrgBilling>().toExtend<Web.OrgBilling>();
    expectTypeOf<Server.AuditLogEntry>().toExtend<Web.AuditLogEntry>();
    expectTypeOf<Server.AuditLogPage>().toExtend<Web.AuditLogPage>();
    expectTypeOf<Server.DeliveryAddressValue>().toExtend<Web.Address>();
    expectTypeOf<Web.Address>().toExtend<Server.DeliveryAddressValue>();
  });
});
