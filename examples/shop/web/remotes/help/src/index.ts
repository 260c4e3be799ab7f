import { defineRemote, type RemoteContext } from '@gatehouse/remote';

// The shop's remote without React: a custom element, driven by the same lifecycle and RemoteContext as every
// other remote (identity, `can`, the API client, the bus; never a token), importing @gatehouse/remote only.

interface Category {
  readonly slug: string;
  readonly name: string;
}

/** `<shop-help>`: the help page; `context` is set by the lifecycle on mount and on every update. */
class ShopHelp extends HTMLElement {
  #context?: RemoteContext;
  #categories: readonly Category[] | undefined;
  #loading?: Promise<void>;

  set context(context: RemoteContext) {
    this.#context = context;
    this.#loading ??= this.#load();
    this.#render();
  }

  async #load(): Promise<void> {
    try {
      this.#categories = await this.#context!.api.get<Category[]>('/api/catalog/categories');
    } catch {
      this.#categories = [];
    }
    this.#render();
  }

  #render(): void {
    const context = this.#context;
    if (!context) return;
    const { identity } = context;
    const el = <K extends keyof HTMLElementTagNameMap>(
      tag: K,
      text = '',
      attrs: Record<string, string> = {},
    ) => {
      const node = document.createElement(tag);
      node.textContent = text;
      for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
      return node;
    };
    const card = el('section', '', { class: 'card', 'data-testid': 'help' });
    card.append(el('h1', 'Help and contact', { class: 'page-header__title' }));
    if (identity.isAuthenticated) {
      card.append(el('p', `Signed in as ${identity.user.displayName}.`, { 'data-testid': 'help-user' }));
      if (context.can('orders:view')) {
        const orders = el('a', 'Where is my order? See your orders', { href: '/orders' });
        card.append(el('p'), orders);
      }
    } else {
      const button = el('button', 'Sign in for help with your orders', {
        type: 'button',
        class: 'button',
        'data-testid': 'help-sign-in',
      });
      button.addEventListener('click', () => context.login());
      card.append(button);
    }
    const list = el('ul', '', { 'data-testid': 'help-categories' });
    for (const category of this.#categories ?? []) {
      const item = el('li');
      item.append(el('a', category.name, { href: `/categories/${category.slug}` }));
      list.append(item);
    }
    card.append(el('h2', 'Browse by category', { class: 'card__title' }), list);
    this.replaceChildren(card);
  }
}

const TAG = 'shop-help';

export const remote = defineRemote({
  mount(element, context) {
    if (!customElements.get(TAG)) customElements.define(TAG, ShopHelp);
    const help = document.createElement(TAG) as ShopHelp;
    help.context = context;
    element.replaceChildren(help);
  },
  update(context, element) {
    (element.firstElementChild as ShopHelp).context = context;
  },
  // Everything about the user goes with the element.
  unmount(element) {
    element.replaceChildren();
  },
});
