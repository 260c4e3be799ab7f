import type { Permission } from '@gatehouse/policy';

/** How an audited action ended: `success`, `denied` (401/403) or `failure` (anything else). */
export type AuditOutcome = 'success' | 'denied' | 'failure';

/**
 * One audit record: who did what to which resource in which tenant, how it ended, when (UTC ISO 8601), and
 * the request's trace id. Never a token, a cookie or a request body.
 */
export interface AuditEvent {
  readonly time: string;
  /** What was attempted: the route's `audit` name (`orders.read`), or `authenticate` / `authorize`. */
  readonly action: string;
  readonly outcome: AuditOutcome;
  /** The caller, by issuer and subject; `null` when no token was verified. */
  readonly actor: { readonly iss: string; readonly sub: string } | null;
  readonly permission?: Permission;
  readonly resource?: { readonly type?: string; readonly id?: string };
  /** The tenant the request acted in (verified from the token and route). */
  readonly tenant?: string;
  /** A denial's reason: the policy's `DenyReason` or the `GH_API_…` code. */
  readonly reason?: string;
  readonly status: number;
  readonly method: string;
  /** The route pattern (`/orders/:id`), never the raw URL. */
  readonly route: string;
  readonly requestId: string;
  /** The W3C trace id from `traceparent`, when one came. */
  readonly traceId?: string;
}

/**
 * Where audit events go: a database table, a log stream, a queue. `write` may be async; the answer waits for
 * it, and a failure is logged without failing the request.
 *
 * @example
 * const sink: AuditSink = { write: (event) => db.insert('audit_log', event) };
 */
export interface AuditSink {
  write(event: AuditEvent): Promise<void> | void;
}

/**
 * An {@link AuditSink} that keeps events in memory, for tests and examples.
 *
 * @example
 * const audit = new MemoryAuditSink();
 * await app.register(gatehouseApi, { issuer, audience, audit });
 * expect(audit.events.at(-1)).toMatchObject({ action: 'orders.read', outcome: 'denied' });
 */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];

  write(event: AuditEvent): void {
    this.events.push(event);
  }

  /** Forgets every event. */
  clear(): void {
    this.events.length = 0;
  }
}
