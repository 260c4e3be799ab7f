import type { Permission } from '@gatehouse/policy';
import type { FastifyRequest } from 'fastify';

/** What the guards learnt about a request, for its audit event. Kept off the request object. */
export interface AuditNote {
  /** Set when authentication failed: the `GH_API_…` code. */
  readonly authFailure?: string;
  readonly permission?: Permission;
  readonly resource?: { readonly type?: string; readonly id?: string };
  readonly tenant?: string;
  /** Set when a guard denied: the policy's reason or a `GH_API_…` code. */
  readonly reason?: string;
}

const notes = new WeakMap<FastifyRequest, AuditNote>();

export function addNote(request: FastifyRequest, patch: AuditNote): void {
  notes.set(request, { ...notes.get(request), ...patch });
}

export function noteOf(request: FastifyRequest): AuditNote | undefined {
  return notes.get(request);
}
