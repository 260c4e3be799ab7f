import { switchTenant } from '@gatehouse/remote/tenant';
import type { AuthState, Shell } from '@gatehouse/shell';

const activeOf = (state: AuthState): string | undefined =>
  state.identity.isAuthenticated ? state.identity.user.activeTenant : undefined;

/**
 * Switches the organisation the user works in, then opens it. The switch reaches every tab of the session
 * through the push channel; this tab waits for its own identity to follow (so the org page opens on the new
 * tenant, not on a prompt to switch), and without a push channel reloads the page into it.
 */
export async function switchOrganisation(shell: Shell, tenant: string): Promise<void> {
  await switchTenant(tenant);
  const path = `/org/${encodeURIComponent(tenant)}/users`;
  const followed = await new Promise<boolean>((resolve) => {
    const done = (value: boolean) => {
      stop();
      clearTimeout(timer);
      resolve(value);
    };
    const stop = shell.auth.subscribe((state) => activeOf(state) === tenant && done(true));
    const timer = setTimeout(() => done(false), 3000);
    if (activeOf(shell.auth.getState()) === tenant) done(true);
  });
  if (followed) shell.navigate(path);
  else location.assign(path);
}
