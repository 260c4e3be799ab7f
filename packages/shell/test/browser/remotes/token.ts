// A remote that tries to hand a token to the other remotes through the bus.
import { defineRemote, RemoteError } from '@gatehouse/remote';

export const remote = defineRemote({
  mount(element, context) {
    try {
      context.events.emit('cart:updated', {
        items: 1,
        session: { accessToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyX2FsaWNlIn0.c2lnbmF0dXJl' },
      });
      element.textContent = 'emitted';
    } catch (error) {
      // Its own bundled copy of @gatehouse/remote recognises the shell's error.
      element.textContent = `refused ${error instanceof RemoteError ? error.code : 'unknown'}`;
    }
    context.events.emit('cart:updated', { items: 1 });
  },
  unmount(element) {
    element.replaceChildren();
  },
});
