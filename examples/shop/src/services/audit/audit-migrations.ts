import { type Migration, sqlMigration } from '../../db/migrate.js';
import { SHOP_SERVICE_ROLE } from '../../db/shop-service-role.js';

/** The columns an event is written with: never `id` (the database numbers events) nor `seed_key`. */
const WRITTEN_COLUMNS =
  'time, service, action, outcome, actor_iss, actor_sub, permission, resource_type, resource_id, tenant, ' +
  'reason, status, method, route, request_id, trace_id';

/**
 * The audit log, schema `audit`: one append-only table that every service's audit sink writes to and that
 * the org service reads, tenant by tenant, for `/org/:tenant/audit-logs`. Append-only twice over
 * (`audit/0003-append-only`): the services' role may only SELECT it and INSERT into it, and triggers refuse
 * every UPDATE, DELETE and TRUNCATE, whoever runs it (on PGlite, whose one user is a superuser, the triggers
 * are the guard).
 */
export const auditMigrations: readonly Migration[] = [
  sqlMigration('audit/0001-events', 'audit', [
    'CREATE SCHEMA IF NOT EXISTS audit',
    `CREATE TABLE audit.events (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       time timestamptz NOT NULL,
       service text NOT NULL,
       action text NOT NULL,
       outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
       actor_iss text,
       actor_sub text,
       permission text,
       resource_type text,
       resource_id text,
       tenant text,
       reason text,
       status integer NOT NULL,
       method text NOT NULL,
       route text NOT NULL,
       request_id text NOT NULL,
       trace_id text,
       seed_key text UNIQUE
     )`,
    'CREATE INDEX events_by_tenant ON audit.events (tenant, id DESC)',
  ]),
  {
    id: 'audit/0002-seed',
    service: 'audit',
    async run(tx) {
      const seeds: ReadonlyArray<{
        key: string;
        daysAgo: number;
        service: string;
        action: string;
        actor: string | null;
        tenant: string;
        permission: string | null;
        resource: readonly [string, string] | null;
        method: string;
        route: string;
      }> = [
        {
          key: 'seed-acme-created',
          daysAgo: 30,
          service: 'org',
          action: 'org.create',
          actor: null,
          tenant: 'acme',
          permission: null,
          resource: ['tenant', 'acme'],
          method: 'POST',
          route: '/org',
        },
        {
          key: 'seed-acme-member-erin',
          daysAgo: 29,
          service: 'org',
          action: 'org.member.add',
          actor: null,
          tenant: 'acme',
          permission: null,
          resource: ['user', 'user_erin'],
          method: 'POST',
          route: '/org/:tenant/users',
        },
        {
          key: 'seed-acme-billing',
          daysAgo: 12,
          service: 'org',
          action: 'billing.update',
          actor: 'user_erin',
          tenant: 'acme',
          permission: 'billing:edit',
          resource: ['billing', 'acme'],
          method: 'PATCH',
          route: '/org/:tenant/billing',
        },
        {
          key: 'seed-acme-users-read',
          daysAgo: 2,
          service: 'org',
          action: 'org.users.read',
          actor: 'user_erin',
          tenant: 'acme',
          permission: 'users:view',
          resource: null,
          method: 'GET',
          route: '/org/:tenant/users',
        },
        {
          key: 'seed-globex-created',
          daysAgo: 21,
          service: 'org',
          action: 'org.create',
          actor: null,
          tenant: 'globex',
          permission: null,
          resource: ['tenant', 'globex'],
          method: 'POST',
          route: '/org',
        },
        {
          key: 'seed-globex-member-frank',
          daysAgo: 20,
          service: 'org',
          action: 'org.member.add',
          actor: null,
          tenant: 'globex',
          permission: null,
          resource: ['user', 'user_frank'],
          method: 'POST',
          route: '/org/:tenant/users',
        },
      ];
      for (const seed of seeds) {
        await tx.query(
          `INSERT INTO audit.events
             (time, service, action, outcome, actor_iss, actor_sub, permission, resource_type, resource_id,
              tenant, status, method, route, request_id, seed_key)
           VALUES (now() - make_interval(days => $1), $2, $3, 'success', $4, $5, $6, $7, $8, $9, 200, $10,
                   $11, $12, $12)
           ON CONFLICT (seed_key) DO NOTHING`,
          [
            seed.daysAgo,
            seed.service,
            seed.action,
            seed.actor ? 'http://localhost:4001' : null,
            seed.actor,
            seed.permission,
            seed.resource?.[0] ?? null,
            seed.resource?.[1] ?? null,
            seed.tenant,
            seed.method,
            seed.route,
            seed.key,
          ],
        );
      }
    },
  },
  sqlMigration('audit/0003-append-only', 'audit', [
    `CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       RAISE EXCEPTION 'audit.events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
     END $$`,
    `CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON audit.events
       FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()`,
    `CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON audit.events
       FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()`,
    'REVOKE ALL ON audit.events FROM PUBLIC',
    `GRANT USAGE ON SCHEMA audit TO ${SHOP_SERVICE_ROLE}`,
    `GRANT SELECT, INSERT (${WRITTEN_COLUMNS}) ON audit.events TO ${SHOP_SERVICE_ROLE}`,
  ]),
];
