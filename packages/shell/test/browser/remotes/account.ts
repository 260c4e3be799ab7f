// A remote with its own "Sign in" and "Load order" buttons. It signs in only through `context.login()` (the
// shell builds the URL: this code holds none) and calls the API only through `context.api` (the shell sees
// every error answer). The order is the route's `:id`.
import { ApiError, defineRemote, type RemoteContext } from '@gatehouse/remote';

const button = (action: string, label: string, onclick: () => unknown) => {
  const element = document.createElement('button');
  element.type = 'button';
  element.dataset.action = action;
  element.textContent = label;
  element.onclick = () => void onclick();
  return element;
};

const render = (element: HTMLElement, context: RemoteContext) => {
  const { identity } = context;
  const result = document.createElement('output');
  const load = async () => {
    result.textContent = 'loading';
    try {
      await context.api.get(`/api/orders/${encodeURIComponent(context.route.params.id ?? '')}`);
      result.textContent = 'loaded';
    } catch (error) {
      result.textContent = error instanceof ApiError ? `${error.status} ${error.code}` : 'failed';
    }
  };
  const heading = document.createElement('p');
  heading.textContent = `account: ${identity.isAuthenticated ? identity.user.displayName : 'guest'}`;
  element.replaceChildren(
    heading,
    button('login', 'Sign in', () => context.login()),
    button('load', 'Load order', load),
    result,
  );
};

export const remote = defineRemote({
  mount: render,
  update(context, element) {
    render(element, context);
  },
  unmount(element) {
    element.replaceChildren();
  },
});
