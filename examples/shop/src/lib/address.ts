import { strictObject } from '@gatehouse/api';
import * as T from 'typebox';

/** A delivery address in India: the checkout's and the profile's schema. */
export const DeliveryAddress = strictObject({
  name: T.String({ minLength: 1, maxLength: 80 }),
  line1: T.String({ minLength: 1, maxLength: 120 }),
  line2: T.Optional(T.String({ maxLength: 120 })),
  city: T.String({ minLength: 1, maxLength: 60 }),
  state: T.String({ minLength: 2, maxLength: 60 }),
  /** A six-digit PIN code. */
  postalCode: T.String({ pattern: '^[1-9][0-9]{5}$' }),
  country: T.Literal('IN'),
  /** Ten digits, optionally after +91. */
  phone: T.String({ pattern: '^(\\+91[ -]?)?[6-9][0-9]{4}[ -]?[0-9]{5}$' }),
});

/** A {@link DeliveryAddress} value. */
export type DeliveryAddressValue = T.Static<typeof DeliveryAddress>;
