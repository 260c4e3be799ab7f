import { requirePermission, requirePrincipal, strictObject } from '@gatehouse/api';
import type { FastifyInstance } from 'fastify';
import * as T from 'typebox';
import type { Queryable } from '../../db/database.js';
import { DeliveryAddress, type DeliveryAddressValue } from '../../lib/address.js';
import { createServiceApp, type ServiceOptions } from '../../lib/service-app.js';

/** The caller's profile. */
export interface Profile {
  readonly id: string;
  readonly displayName: string;
  readonly email: string;
  readonly phone: string;
  readonly locale: string;
  readonly currency: string;
  readonly marketingOptIn: boolean;
  readonly defaultAddress: DeliveryAddressValue | null;
  readonly updatedAt: string | null;
}

interface ProfileRow {
  user_id: string;
  display_name: string;
  email: string;
  phone: string;
  locale: string;
  currency: string;
  marketing_opt_in: boolean;
  default_address: DeliveryAddressValue | null;
  updated_at: Date;
}

/**
 * What a user may change of their profile. Everything else (`id`, `roles`, `tenantId`, `ownerId`, `email`,
 * which the identity provider owns, …) is refused with a 400 naming the field.
 */
export const ProfilePatch = strictObject(
  {
    displayName: T.Optional(T.String({ minLength: 1, maxLength: 80 })),
    phone: T.Optional(T.String({ pattern: '^$|^(\\+91[ -]?)?[6-9][0-9]{4}[ -]?[0-9]{5}$' })),
    locale: T.Optional(T.String({ pattern: '^[a-z]{2}(-[A-Z]{2})?$' })),
    currency: T.Optional(T.String({ pattern: '^[A-Z]{3}$' })),
    marketingOptIn: T.Optional(T.Boolean()),
    defaultAddress: T.Optional(T.Union([DeliveryAddress, T.Null()])),
  },
  { minProperties: 1 },
);

async function loadProfile(db: Queryable, userId: string): Promise<Profile> {
  const [row] = await db.query<ProfileRow>('SELECT * FROM profile.profiles WHERE user_id = $1', [userId]);
  if (!row) {
    return {
      id: userId,
      displayName: userId,
      email: '',
      phone: '',
      locale: 'en-IN',
      currency: 'INR',
      marketingOptIn: false,
      defaultAddress: null,
      updatedAt: null,
    };
  }
  return {
    id: row.user_id,
    displayName: row.display_name,
    email: row.email,
    phone: row.phone,
    locale: row.locale,
    currency: row.currency,
    marketingOptIn: row.marketing_opt_in,
    defaultAddress: row.default_address,
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * The profile service (schema `profile`): the caller's own profile (the token's subject, never a
 * parameter); changing it needs `profile:edit` and is audited as `profile.update`.
 *
 * @example
 * const profile = await buildProfileService({ db, issuer, serviceKey });
 */
export async function buildProfileService(options: ServiceOptions): Promise<FastifyInstance> {
  const { db } = options;
  const app = await createServiceApp('profile', options);

  app.get('/', async (request) => loadProfile(db, requirePrincipal(request).sub));

  app.patch<{ Body: T.Static<typeof ProfilePatch> }>(
    '/',
    {
      schema: { body: ProfilePatch },
      // In preValidation: the permission (403) is checked before the body (400).
      preValidation: requirePermission('profile:edit'),
      config: { audit: 'profile.update' },
    },
    async (request) => {
      const me = requirePrincipal(request);
      const current = await loadProfile(db, me.sub);
      const body = request.body;
      const next = {
        displayName: body.displayName ?? current.displayName,
        phone: body.phone ?? current.phone,
        locale: body.locale ?? current.locale,
        currency: body.currency ?? current.currency,
        marketingOptIn: body.marketingOptIn ?? current.marketingOptIn,
        defaultAddress: body.defaultAddress === undefined ? current.defaultAddress : body.defaultAddress,
      };
      await db.query(
        `INSERT INTO profile.profiles
           (user_id, display_name, email, phone, locale, currency, marketing_opt_in, default_address, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, now())
         ON CONFLICT (user_id) DO UPDATE SET
           display_name = EXCLUDED.display_name, phone = EXCLUDED.phone, locale = EXCLUDED.locale,
           currency = EXCLUDED.currency, marketing_opt_in = EXCLUDED.marketing_opt_in,
           default_address = EXCLUDED.default_address, updated_at = now()`,
        [
          me.sub,
          next.displayName,
          current.email,
          next.phone,
          next.locale,
          next.currency,
          next.marketingOptIn,
          next.defaultAddress ? JSON.stringify(next.defaultAddress) : null,
        ],
      );
      return loadProfile(db, me.sub);
    },
  );

  return app;
}
