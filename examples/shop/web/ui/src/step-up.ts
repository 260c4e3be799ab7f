import type { StepUpRequirement } from '@gatehouse/remote/step-up';

/**
 * What the shop's sensitive actions need of the sign-in (the shop's `SECOND_FACTOR` on the server): the dev
 * IdP's password and security code (`acr` loa:2), at most ten minutes ago. The remotes use it for hints
 * only; the APIs decide and tell the exact level in their `step_up_required` answer.
 */
export const SECOND_FACTOR_LEVEL: StepUpRequirement = Object.freeze({
  acr_values: 'urn:gatehouse:loa:2',
  max_age: 600,
});

/** Orders of more than this (₹20,000 in paise) need {@link SECOND_FACTOR_LEVEL}. */
export const STEP_UP_ORDER_MINOR = 2_000_000;
