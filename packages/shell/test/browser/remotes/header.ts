// A remote in a fixed region (the header): stays mounted across routes, updates on identity changes.
import { defineRemote, type RemoteContext } from '@gatehouse/remote';

let changes = 0;
const render = (element: HTMLElement, context: RemoteContext) => {
  element.textContent = `header: ${context.identity.isAuthenticated ? context.identity.user.displayName : 'guest'} (${changes})`;
};

export const remote = defineRemote({
  mount(element, context) {
    context.onAuthChange(() => {
      changes++;
    });
    render(element, context);
  },
  update(context, element) {
    render(element, context);
  },
  unmount(element) {
    element.replaceChildren();
  },
});
