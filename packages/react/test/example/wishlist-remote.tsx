import { Can, defineReactRemote, useApi, useIdentity } from '@gatehouse/react';
import { useEffect, useState } from 'react';

/** One wished-for product, as the profile API answers it. */
export interface WishlistItem {
  readonly productId: string;
  readonly name: string;
}

/**
 * A wishlist: the list of the signed-in user, a sign-in offer otherwise. It forgets the list as soon as the
 * identity changes (logout in any tab, another user), and offers "Buy all" only to who may place orders.
 */
export function Wishlist() {
  const identity = useIdentity();
  const api = useApi();
  const [items, setItems] = useState<readonly WishlistItem[] | undefined>(undefined);
  useEffect(() => {
    setItems(undefined);
    if (!identity.isAuthenticated) return;
    let current = true;
    api.get<WishlistItem[]>('/api/profile/wishlist').then(
      (list) => current && setItems(list),
      () => current && setItems([]),
    );
    return () => {
      current = false;
    };
  }, [api, identity]);
  if (!identity.isAuthenticated) return <p>Sign in to keep a wishlist.</p>;
  return (
    <section>
      <h2>{`${identity.user.displayName}’s wishlist`}</h2>
      {items === undefined ? (
        <p>Loading…</p>
      ) : (
        <ul>
          {items.map((item) => (
            <li key={item.productId}>{item.name}</li>
          ))}
        </ul>
      )}
      <Can permission="checkout:place_order" fallback={<p>This account cannot place orders.</p>}>
        <a href="/checkout">Buy all</a>
      </Can>
    </section>
  );
}

export const remote = defineReactRemote(Wishlist);
