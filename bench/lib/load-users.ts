// The load test's users at the dev IdP (servers/idp.ts `extraUsers`): load0001…, password = login.

/** The login of the n-th (1-based) load-test user. */
export const loadUser = (n: number): string => `load${String(n).padStart(4, '0')}`;
