// The remote of the bench's Chromium figures: greets the user and tells the page when it is mounted.
import { defineRemote } from '@gatehouse/remote';

/** The remote's lifecycle, as every remote's entry module exports it. */
export const remote = defineRemote({
  mount(element, context) {
    element.textContent = `home: ${context.identity.isAuthenticated ? context.identity.user.displayName : 'guest'}`;
    window.__benchMounted?.();
  },
  unmount(element) {
    element.replaceChildren();
  },
});
