import type { AuditEvent, AuditSink } from '@gatehouse/api';
import type { Queryable } from '../../db/database.js';

/**
 * An {@link AuditSink} that appends each event to `audit.events`, tagged with the service that wrote it.
 * Events hold who (issuer and subject), what (action, permission), which resource, the tenant, the outcome
 * and status, when (UTC) and the trace id; never a token, a header or a body.
 *
 * @example
 * await app.register(gatehouseApi, { issuer, audience, audit: createDatabaseAuditSink(db, 'orders') });
 */
export function createDatabaseAuditSink(db: Queryable, service: string): AuditSink {
  return {
    async write(event: AuditEvent) {
      await db.query(
        `INSERT INTO audit.events
           (time, service, action, outcome, actor_iss, actor_sub, permission, resource_type, resource_id,
            tenant, reason, status, method, route, request_id, trace_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [
          new Date(event.time),
          service,
          event.action.slice(0, 128),
          event.outcome,
          event.actor?.iss ?? null,
          event.actor?.sub ?? null,
          event.permission ?? null,
          event.resource?.type ?? null,
          event.resource?.id?.slice(0, 256) ?? null,
          event.tenant ?? null,
          event.reason ?? null,
          event.status,
          event.method,
          event.route.slice(0, 256),
          event.requestId,
          event.traceId ?? null,
        ],
      );
    },
  };
}
