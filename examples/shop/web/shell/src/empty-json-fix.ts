// WORKAROUND, to remove once fixed in @gatehouse/shell: its `logout()` and `extend()` POST to `/auth/logout`
// and `/auth/session/extend` with `content-type: application/json` and no body, which the BFF (Fastify)
// refuses with 400 "Body cannot be empty when content-type is set to 'application/json'": the session would
// not end, and "Stay signed in" would not extend it. Here, exactly those two bodiless POSTs go without the
// content type. Nothing else is touched.
const BODILESS = /^\/auth\/(logout|session\/extend)$/;
const nativeFetch = globalThis.fetch.bind(globalThis);

globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
  if (typeof input === 'string' && BODILESS.test(input) && init?.method === 'POST' && init.body == null) {
    const headers = new Headers(init.headers);
    headers.delete('content-type');
    return nativeFetch(input, { ...init, headers });
  }
  return nativeFetch(input, init);
};
