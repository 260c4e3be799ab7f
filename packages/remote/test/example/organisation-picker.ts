import { ForbiddenError, type RemoteContext } from '@gatehouse/remote';
import { switchTenant } from '@gatehouse/remote/tenant';

/** What an organisation picker shows: the tenant the user works in, and the others they may switch to. */
export interface Organisations {
  readonly active: string | undefined;
  readonly others: readonly string[];
}

export function organisationsOf(context: Pick<RemoteContext, 'identity'>): Organisations {
  const { identity } = context;
  if (!identity.isAuthenticated) return { active: undefined, others: [] };
  const active = identity.user.activeTenant;
  return { active, others: identity.user.tenants.map((t) => t.id).filter((id) => id !== active) };
}

/**
 * Switches, without a new sign-in. The new identity reaches every tab through the shell (`onAuthChange`), not
 * through this call. A tenant the user has left meanwhile answers a message to show, never a crash.
 */
export async function pickOrganisation(tenant: string): Promise<string | undefined> {
  try {
    await switchTenant(tenant);
    return undefined;
  } catch (error) {
    if (error instanceof ForbiddenError) return 'You are no longer a member of that organisation.';
    throw error;
  }
}
