import type { Queryable } from '../../db/database.js';

/** One audit event as `/org/:tenant/audit-logs` answers it. */
export interface AuditLogEntry {
  /** Increasing with each event; pass the last one seen as `before` for the next page. */
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

/** A page of a tenant's audit log, newest first. */
export interface AuditLogPage {
  readonly items: readonly AuditLogEntry[];
  /** The `before` value for the next (older) page, or `null` at the end. */
  readonly next: number | null;
}

interface Row {
  id: number;
  time: Date;
  service: string;
  action: string;
  outcome: AuditLogEntry['outcome'];
  actor_iss: string | null;
  actor_sub: string | null;
  permission: string | null;
  resource_type: string | null;
  resource_id: string | null;
  tenant: string;
  reason: string | null;
  status: number;
  method: string;
  route: string;
  trace_id: string | null;
}

/**
 * Reads one tenant's audit events, newest (last written) first, `limit` at a time; `before` (an event id) pages back.
 * Only rows whose `tenant` is exactly this tenant: another tenant's events never appear.
 *
 * @example
 * const { items, next } = await listAuditLog(db, 'acme', { limit: 20 });
 */
export async function listAuditLog(
  db: Queryable,
  tenant: string,
  options: { readonly limit: number; readonly before?: number },
): Promise<AuditLogPage> {
  const rows = await db.query<Row>(
    `SELECT id, time, service, action, outcome, actor_iss, actor_sub, permission, resource_type, resource_id,
            tenant, reason, status, method, route, trace_id
       FROM audit.events
      WHERE tenant = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
      ORDER BY id DESC
      LIMIT $3`,
    [tenant, options.before ?? null, options.limit + 1],
  );
  const page = rows.slice(0, options.limit);
  return {
    items: page.map((row) => ({
      id: row.id,
      time: row.time.toISOString(),
      service: row.service,
      action: row.action,
      outcome: row.outcome,
      actor: row.actor_iss && row.actor_sub ? { iss: row.actor_iss, sub: row.actor_sub } : null,
      permission: row.permission,
      resource:
        row.resource_type || row.resource_id ? { type: row.resource_type, id: row.resource_id } : null,
      tenant: row.tenant,
      reason: row.reason,
      status: row.status,
      method: row.method,
      route: row.route,
      traceId: row.trace_id,
    })),
    next: rows.length > options.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
