// A plain remote: greets the user; used for several fixtures (home, slow, tampered, evil, admin).
import { defineRemote, type RemoteContext } from '@gatehouse/remote';

const greet = (element: HTMLElement, context: RemoteContext) => {
  element.dataset.identity = context.identity.isAuthenticated ? context.identity.user.id : 'anonymous';
  element.textContent = `${context.name}: ${context.identity.isAuthenticated ? context.identity.user.displayName : 'guest'}`;
};

export const remote = defineRemote({
  mount: greet,
  unmount(element) {
    element.replaceChildren();
  },
});
