import { Can, defineReactRemote, useApi, useIdentity, useLogin, useRemoteContext } from '@gatehouse/react';
import { ApiError, ForbiddenError, NotFoundError, UnauthenticatedError } from '@gatehouse/remote';
import { useEffect, useState } from 'react';

/** One product on the wishlist, as the profile API answers `GET /api/profile/wishlist`. */
export interface WishlistItem {
  readonly productId: string;
  readonly addedAt: string;
  /** `null` when the catalog no longer sells it. */
  readonly product: { readonly name: string; readonly priceMinor: number } | null;
}

type View =
  | { readonly kind: 'loading' }
  | { readonly kind: 'list'; readonly items: readonly WishlistItem[] }
  | { readonly kind: 'sign-in' }
  | { readonly kind: 'no-access' }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'error'; readonly message: string };

/** What an API error means here: the table of section 3. */
function viewOfError(error: unknown): View {
  if (error instanceof UnauthenticatedError) return { kind: 'sign-in' };
  if (error instanceof ForbiddenError) return { kind: 'no-access' };
  if (error instanceof NotFoundError) return { kind: 'not-found' };
  return { kind: 'error', message: error instanceof ApiError ? error.message : 'Something went wrong.' };
}

/** "Add to cart" (`POST /api/cart/items`); its errors are handled here: React does not catch them. */
function AddToCart({ productId }: { productId: string }) {
  const api = useApi();
  const { events } = useRemoteContext();
  const [note, setNote] = useState('');
  const add = async () => {
    try {
      const cart = await api.post<{ itemCount: number }>('/api/cart/items', { productId, quantity: 1 });
      events.emit('cart:changed', { itemCount: cart.itemCount });
      setNote('Added to your cart.');
    } catch (error) {
      // A 401 is the shell's: it is already signing the user in again. A 409 (out of stock) says why.
      if (!(error instanceof UnauthenticatedError))
        setNote(error instanceof ApiError ? error.problem.detail || error.message : 'Something went wrong.');
    }
  };
  return (
    <>
      <button type="button" onClick={add}>
        Add to cart
      </button>
      {note && <span role="status">{note}</span>}
    </>
  );
}

/**
 * The signed-in user's wishlist. It forgets the list the moment the session ends, and offers "Add to cart"
 * only to who may place orders (`checkout:place_order`: the checkout API refuses the others).
 */
export function Wishlist() {
  const identity = useIdentity();
  const api = useApi();
  const login = useLogin();
  const { events } = useRemoteContext();
  const userId = identity.isAuthenticated ? identity.user.id : null;
  const [view, setView] = useState<View>({ kind: userId === null ? 'sign-in' : 'loading' });

  useEffect(() => {
    if (userId === null) return setView({ kind: 'sign-in' });
    let current = true;
    // Forget the list at logout (this tab or another, expiry, the identity provider), and drop an answer
    // still on its way.
    const stop = events.on('auth:logged-out', () => {
      current = false;
      setView({ kind: 'sign-in' });
    });
    setView({ kind: 'loading' });
    api.get<WishlistItem[]>('/api/profile/wishlist').then(
      (items) => current && setView({ kind: 'list', items }),
      (error: unknown) => current && setView(viewOfError(error)),
    );
    return () => {
      current = false;
      stop();
    };
  }, [api, events, userId]);

  if (view.kind === 'sign-in')
    return (
      <p data-view="sign-in">
        <button type="button" onClick={() => login()}>
          Sign in
        </button>{' '}
        to keep a wishlist.
      </p>
    );
  if (view.kind === 'no-access') return <p data-view="no-access">You do not have access to this wishlist.</p>;
  if (view.kind === 'not-found') return <p data-view="not-found">No such wishlist.</p>;
  if (view.kind === 'error') return <p role="alert">{view.message}</p>;
  if (view.kind === 'loading') return <p>Loading…</p>;
  return (
    <ul>
      {view.items.map((item) => (
        <li key={item.productId}>
          {item.product?.name ?? 'No longer sold'}{' '}
          {item.product && (
            <Can permission="checkout:place_order">
              <AddToCart productId={item.productId} />
            </Can>
          )}
        </li>
      ))}
    </ul>
  );
}

export const remote = defineReactRemote(Wishlist);
