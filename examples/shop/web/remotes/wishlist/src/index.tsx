import { defineReactRemote, useApi, useCan, useIdentity } from '@gatehouse/react';
import {
  ErrorView,
  formatDate,
  formatMoney,
  Icon,
  PageHeader,
  problemText,
  Skeleton,
  useApiData,
  type WishlistItem,
} from '@gatehouse/shop-ui';
import { type ReactNode, useState } from 'react';

// The shop's Module Federation remote: a container built by @module-federation/vite, loaded by the shell
// through @gatehouse/federation (its entry and every chunk pinned by the signed manifest, React shared as a
// singleton). Inside, it is an ordinary Gatehouse remote: the same RemoteContext, the same API client.

function Line({ item, onRemove }: { item: WishlistItem; onRemove?: () => void }): ReactNode {
  const identity = useIdentity();
  return (
    <div className="cart-line" data-testid="wishlist-line">
      {item.product ? <img src={item.product.image} alt="" width="96" height="72" /> : <span />}
      <div>
        <a className="cart-line__name" href={`/product/${encodeURIComponent(item.productId)}`}>
          {item.product?.name ?? 'No longer sold'}
        </a>
        <div className="muted">Saved {formatDate(item.addedAt, identity)}</div>
      </div>
      <div className="cart-line__total">
        {item.product && formatMoney(item.product.memberPriceMinor ?? item.product.priceMinor, identity)}
        {onRemove && (
          <div>
            <button type="button" className="link-button" data-testid="wishlist-remove" onClick={onRemove}>
              Remove
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

/** The wishlist: shown to every signed-in user; its edit action only with `wishlist:edit` (the API checks it). */
function WishlistPage(): ReactNode {
  const api = useApi();
  const canEdit = useCan('wishlist:edit');
  const wishlist = useApiData<WishlistItem[]>('/api/profile/wishlist');
  const [problem, setProblem] = useState<string>();
  const remove = async (productId: string) => {
    setProblem(undefined);
    try {
      wishlist.set(
        await api.delete<WishlistItem[]>(`/api/profile/wishlist/${encodeURIComponent(productId)}`),
      );
    } catch (error) {
      setProblem(problemText(error));
      wishlist.reload();
    }
  };
  return (
    <section className="card" data-testid="wishlist-remote" aria-labelledby="wishlist-remote-title">
      <PageHeader title="Your wishlist" subtitle="Saved for later" />
      <h2 className="card__title" id="wishlist-remote-title">
        <Icon name="heart" /> {canEdit ? 'Edit your wishlist' : 'Your saved products'}
      </h2>
      {problem && (
        <p className="alert alert--error" role="alert" data-testid="wishlist-problem">
          {problem}
        </p>
      )}
      {wishlist.status === 'loading' && <Skeleton kind="lines" count={3} />}
      {wishlist.status === 'error' && (
        <ErrorView error={wishlist.error} what="wishlist" retry={wishlist.reload} />
      )}
      {wishlist.status === 'ok' && !wishlist.data.length && (
        <p className="muted" data-testid="wishlist-empty">
          Nothing saved yet. Use “Add to wishlist” on a product page.
        </p>
      )}
      {wishlist.status === 'ok' && wishlist.data.length > 0 && (
        <div className="cart-lines">
          {wishlist.data.map((item) => (
            <Line
              key={item.productId}
              item={item}
              onRemove={canEdit ? () => remove(item.productId) : undefined}
            />
          ))}
        </div>
      )}
    </section>
  );
}

export const remote = defineReactRemote(WishlistPage);
