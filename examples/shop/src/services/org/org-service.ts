import {
  ApiError,
  requirePermission,
  requirePrincipal,
  requireTenantPermission,
  strictObject,
} from '@gatehouse/api';
import type { FastifyInstance } from 'fastify';
import * as T from 'typebox';
import type { Queryable } from '../../db/database.js';
import { createServiceApp, type ServiceOptions } from '../../lib/service-app.js';
import { requireSecondFactor } from '../../lib/step-up.js';
import { listAuditLog } from '../audit/audit-log.js';

/** A member of an organisation. */
export interface OrgMember {
  readonly id: string;
  readonly displayName: string;
  readonly email: string;
  readonly role: 'org_admin' | 'member';
  readonly status: 'active' | 'invited' | 'suspended';
  readonly joinedAt: string;
}

/** An organisation's billing. */
export interface OrgBilling {
  readonly tenant: string;
  readonly plan: 'starter' | 'business' | 'enterprise';
  readonly email: string;
  readonly seats: number;
  readonly updatedAt: string;
}

const Tenant = T.Object({ tenant: T.String({ pattern: '^[a-z0-9-]{1,64}$' }) });

/** What an org admin may change of the billing. */
export const BillingPatch = strictObject(
  {
    email: T.Optional(T.String({ format: 'email', maxLength: 254 })),
    plan: T.Optional(T.Union([T.Literal('starter'), T.Literal('business'), T.Literal('enterprise')])),
    seats: T.Optional(T.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { minProperties: 1 },
);

const AuditQuery = T.Object({
  limit: T.Integer({ minimum: 1, maximum: 200, default: 50 }),
  before: T.Optional(T.Integer({ minimum: 1 })),
});

async function requireTenant(db: Queryable, tenant: string): Promise<{ id: string; name: string }> {
  const [row] = await db.query<{ id: string; name: string }>(
    'SELECT id, name FROM org.tenants WHERE id = $1',
    [tenant],
  );
  if (!row)
    throw new ApiError('GH_API_NOT_FOUND', 'no such organisation', { detail: 'No such organisation.' });
  return row;
}

async function loadBilling(db: Queryable, tenant: string): Promise<OrgBilling> {
  const [row] = await db.query<{ plan: OrgBilling['plan']; email: string; seats: number; updated_at: Date }>(
    'SELECT plan, email, seats, updated_at FROM org.billing WHERE tenant_id = $1',
    [tenant],
  );
  if (!row)
    throw new ApiError('GH_API_NOT_FOUND', 'no billing', { detail: 'No billing for this organisation.' });
  return {
    tenant,
    plan: row.plan,
    email: row.email,
    seats: row.seats,
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * The org service (schema `org`, and read access to the audit log), serving two upstreams of the BFF:
 * `/admin/users` (role admin: `admin:access`) and `/org/:tenant/…` (a member of `:tenant` with the
 * permission in that tenant; another tenant is 403 whatever header is sent). Billing changes are audited
 * in the tenant; the tenant's audit log is served newest first.
 *
 * @example
 * const org = await buildOrgService({ db, issuer, serviceKey });
 */
export async function buildOrgService(options: ServiceOptions): Promise<FastifyInstance> {
  const { db } = options;
  const app = await createServiceApp('org', options);

  app.get('/admin/users', { preHandler: requirePermission('admin:access') }, async () => {
    const users = await db.query<{
      id: string;
      display_name: string;
      email: string;
      roles: string[];
      status: string;
      created_at: Date;
      tenants: { id: string; role: string }[] | null;
    }>(
      `SELECT u.id, u.display_name, u.email, u.roles, u.status, u.created_at,
              (SELECT jsonb_agg(jsonb_build_object('id', m.tenant_id, 'role', m.role) ORDER BY m.tenant_id)
                 FROM org.members m WHERE m.user_id = u.id) AS tenants
         FROM org.users u ORDER BY u.display_name`,
    );
    return users.map((user) => ({
      id: user.id,
      displayName: user.display_name,
      email: user.email,
      roles: user.roles,
      status: user.status,
      createdAt: user.created_at.toISOString(),
      tenants: user.tenants ?? [],
    }));
  });

  app.get<{ Params: { tenant: string } }>(
    '/org/:tenant',
    { schema: { params: Tenant }, preHandler: requireTenantPermission('users:view') },
    async (request) => {
      const tenant = await requireTenant(db, request.params.tenant);
      const [counts] = await db.query<{ members: number }>(
        'SELECT count(*)::int AS members FROM org.members WHERE tenant_id = $1',
        [tenant.id],
      );
      const me = requirePrincipal(request);
      const membership = me.tenants.find((candidate) => candidate.id === tenant.id);
      return {
        id: tenant.id,
        name: tenant.name,
        memberCount: counts?.members ?? 0,
        myRoles: membership?.roles ?? [],
        myPermissions: membership?.permissions ?? [],
      };
    },
  );

  app.get<{ Params: { tenant: string } }>(
    '/org/:tenant/users',
    {
      schema: { params: Tenant },
      preHandler: requireTenantPermission('users:view'),
      config: { audit: 'org.users.read' },
    },
    async (request): Promise<OrgMember[]> => {
      const tenant = await requireTenant(db, request.params.tenant);
      const rows = await db.query<{
        id: string;
        display_name: string;
        email: string;
        role: OrgMember['role'];
        status: OrgMember['status'];
        joined_at: Date;
      }>(
        `SELECT u.id, u.display_name, u.email, m.role, u.status, m.joined_at
           FROM org.members m JOIN org.users u ON u.id = m.user_id
          WHERE m.tenant_id = $1 ORDER BY m.role, u.display_name`,
        [tenant.id],
      );
      return rows.map((row) => ({
        id: row.id,
        displayName: row.display_name,
        email: row.email,
        role: row.role,
        status: row.status,
        joinedAt: row.joined_at.toISOString(),
      }));
    },
  );

  app.get<{ Params: { tenant: string } }>(
    '/org/:tenant/billing',
    { schema: { params: Tenant }, preHandler: requireTenantPermission('billing:view') },
    async (request) => loadBilling(db, (await requireTenant(db, request.params.tenant)).id),
  );

  app.patch<{ Params: { tenant: string }; Body: T.Static<typeof BillingPatch> }>(
    '/org/:tenant/billing',
    {
      schema: { params: Tenant, body: BillingPatch },
      // The org admin's permission, then a recent second factor (a step-up, RFC 9470).
      preValidation: [requireTenantPermission('billing:edit'), requireSecondFactor()],
      config: { audit: 'billing.update' },
    },
    async (request) => {
      const me = requirePrincipal(request);
      const tenant = await requireTenant(db, request.params.tenant);
      const { email, plan, seats } = request.body;
      await db.query(
        `UPDATE org.billing
            SET email = COALESCE($2, email), plan = COALESCE($3, plan), seats = COALESCE($4, seats),
                updated_at = now(), updated_by = $5
          WHERE tenant_id = $1`,
        [tenant.id, email ?? null, plan ?? null, seats ?? null, me.sub],
      );
      return loadBilling(db, tenant.id);
    },
  );

  app.get<{ Params: { tenant: string }; Querystring: T.Static<typeof AuditQuery> }>(
    '/org/:tenant/audit-logs',
    {
      schema: { params: Tenant, querystring: AuditQuery },
      preHandler: requireTenantPermission('audit:view'),
    },
    async (request) => {
      const tenant = await requireTenant(db, request.params.tenant);
      return listAuditLog(db, tenant.id, {
        limit: request.query.limit,
        ...(request.query.before ? { before: request.query.before } : {}),
      });
    },
  );

  return app;
}
