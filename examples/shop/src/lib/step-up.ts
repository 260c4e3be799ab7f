import { requireAuthLevel } from '@gatehouse/api';
import { devIdpAcr } from '@gatehouse/dev-idp';

/**
 * What the shop's sensitive actions (a large order, an organisation's billing) need of the sign-in: the dev
 * IdP's password and security code (`acr` loa:2), at most ten minutes ago.
 */
export const SECOND_FACTOR = Object.freeze({ acr: devIdpAcr.securityCode, maxAge: 600 });

/** The guard of those actions: 401 `insufficient_user_authentication` (RFC 9470) without that sign-in. */
export const requireSecondFactor = () => requireAuthLevel(SECOND_FACTOR);
