import { defineReactRemote, useApi, useCan, useIdentity, useLogin, useRemoteContext } from '@gatehouse/react';
import { UnauthenticatedError } from '@gatehouse/remote';
import {
  Breadcrumbs,
  type Category,
  ErrorView,
  formatMoney,
  Icon,
  Price,
  type Product,
  ProductGrid,
  type ProductPage,
  problemText,
  Skeleton,
  Stars,
  useAddToCart,
  useApiData,
  type WishlistItem,
} from '@gatehouse/shop-ui';
import { type FormEvent, type ReactNode, useState } from 'react';

function Stock({ product }: { product: Product }): ReactNode {
  if (!product.inStock) return <p className="stock stock--out">Out of stock</p>;
  if (product.stock <= 5) return <p className="stock stock--low">Only {product.stock} left — order soon</p>;
  return <p className="stock stock--ok">In stock</p>;
}

/** Wishlist button: signed in only; the wishlist is the profile service's. */
function WishlistButton({ productId }: { productId: string }): ReactNode {
  const api = useApi();
  const identity = useIdentity();
  const login = useLogin();
  const wishlist = useApiData<WishlistItem[]>(identity.isAuthenticated ? '/api/profile/wishlist' : null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!identity.isAuthenticated)
    return (
      <button type="button" className="button" onClick={() => login()}>
        <Icon name="heart" /> Sign in to save
      </button>
    );
  const saved = wishlist.status === 'ok' && wishlist.data.some((item) => item.productId === productId);
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      const path = `/api/profile/wishlist/${encodeURIComponent(productId)}`;
      wishlist.set(saved ? await api.delete<WishlistItem[]>(path) : await api.put<WishlistItem[]>(path));
    } catch (caught) {
      if (!(caught instanceof UnauthenticatedError)) setError(problemText(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className={saved ? 'button button--saved' : 'button'}
        aria-pressed={saved}
        disabled={busy || wishlist.status !== 'ok'}
        onClick={toggle}
        data-testid="wishlist-button"
      >
        <Icon name="heart" /> {saved ? 'On your wishlist' : 'Add to wishlist'}
      </button>
      {error && <p className="note note--error">{error}</p>}
    </>
  );
}

/** The personal offer of a signed-in member, or the invitation to sign in for it. */
function Offer({ product }: { product: Product }): ReactNode {
  const identity = useIdentity();
  const login = useLogin();
  if (!identity.isAuthenticated)
    return (
      <div className="offer-box offer-box--anon">
        <strong>Members pay less.</strong>{' '}
        <button type="button" className="link-button" onClick={() => login()}>
          Sign in
        </button>{' '}
        to see your personal price on this product.
      </div>
    );
  if (product.memberPriceMinor === undefined || product.memberPriceMinor >= product.priceMinor) return null;
  return (
    <div className="offer-box" data-testid="personal-offer">
      <strong>Your offer, {identity.user.displayName}:</strong> {product.offer?.label ?? 'member price'} — you
      save {formatMoney(product.priceMinor - product.memberPriceMinor, identity)} on each one.
    </div>
  );
}

/** Catalog editing, for `catalog:edit` (store managers). The catalog API checks the permission again. */
function EditProduct({ product, onSaved }: { product: Product; onSaved(product: Product): void }): ReactNode {
  const api = useApi();
  const categories = useApiData<Category[]>('/api/catalog/categories');
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [form, setForm] = useState({
    name: product.name,
    brand: product.brand,
    description: product.description,
    category: product.category.slug,
    price: String(product.priceMinor / 100),
    stock: String(product.stock),
    discount: String(product.offer?.percentOff ?? 5),
  });
  const field = (key: keyof typeof form) => ({
    value: form[key],
    onChange: (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value }),
  });
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      const saved = await api.put<Product>(`/api/catalog/products/${encodeURIComponent(product.id)}`, {
        name: form.name.trim(),
        brand: form.brand.trim(),
        description: form.description.trim(),
        category: form.category,
        priceMinor: Math.round(Number(form.price) * 100),
        stock: Math.round(Number(form.stock)),
        memberDiscountPercent: Math.round(Number(form.discount)),
      });
      onSaved(saved);
      setResult({ ok: true, text: 'Saved. Customers see the change now.' });
    } catch (error) {
      if (!(error instanceof UnauthenticatedError)) setResult({ ok: false, text: problemText(error) });
    } finally {
      setBusy(false);
    }
  };
  if (!open)
    return (
      <div className="card manage">
        <div className="toolbar">
          <span>
            <strong>Store manager</strong> <span className="muted">— you can edit this product</span>
          </span>
          <button type="button" className="button" onClick={() => setOpen(true)} data-testid="edit-product">
            <Icon name="edit" /> Edit product
          </button>
        </div>
        {result && <p className={result.ok ? 'note note--ok' : 'note note--error'}>{result.text}</p>}
      </div>
    );
  return (
    <form className="card manage" onSubmit={save} aria-label="Edit product" data-testid="edit-form">
      <h2 className="card__title">Edit product</h2>
      <div className="form-grid">
        <div className="field field--wide">
          <label htmlFor="edit-name">Name</label>
          <input id="edit-name" className="input" required maxLength={120} {...field('name')} />
        </div>
        <div className="field">
          <label htmlFor="edit-brand">Brand</label>
          <input id="edit-brand" className="input" maxLength={80} {...field('brand')} />
        </div>
        <div className="field">
          <label htmlFor="edit-category">Category</label>
          <select id="edit-category" className="select" {...field('category')}>
            {(categories.status === 'ok' ? categories.data : [product.category]).map((category) => (
              <option key={category.slug} value={category.slug}>
                {category.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="edit-price">Price (₹)</label>
          <input
            id="edit-price"
            className="input"
            type="number"
            min="1"
            step="1"
            required
            {...field('price')}
          />
        </div>
        <div className="field">
          <label htmlFor="edit-stock">Stock</label>
          <input
            id="edit-stock"
            className="input"
            type="number"
            min="0"
            step="1"
            required
            {...field('stock')}
          />
        </div>
        <div className="field">
          <label htmlFor="edit-discount">Member discount (%)</label>
          <input
            id="edit-discount"
            className="input"
            type="number"
            min="0"
            max="50"
            step="1"
            {...field('discount')}
          />
        </div>
        <div className="field field--wide">
          <label htmlFor="edit-description">Description</label>
          <textarea id="edit-description" className="textarea" maxLength={2000} {...field('description')} />
        </div>
      </div>
      {result && (
        <p className={result.ok ? 'alert alert--ok' : 'alert alert--error'} role="status">
          {result.text}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save changes'}
        </button>
        <button type="button" className="button button--ghost" onClick={() => setOpen(false)}>
          Close
        </button>
      </div>
    </form>
  );
}

function Related({ product }: { product: Product }): ReactNode {
  const related = useApiData<ProductPage>(
    `/api/catalog/products?category=${encodeURIComponent(product.category.slug)}&pageSize=5`,
  );
  if (related.status !== 'ok') return null;
  const others = related.data.items.filter((item) => item.id !== product.id).slice(0, 4);
  if (!others.length) return null;
  return (
    <section className="section">
      <h2 className="section__title">More in {product.category.name}</h2>
      <ProductGrid products={others} />
    </section>
  );
}

function ProductPageView(): ReactNode {
  const { route } = useRemoteContext();
  const id = route.params.id ?? '';
  const product = useApiData<Product>(`/api/catalog/products/${encodeURIComponent(id)}`);
  const canEdit = useCan('catalog:edit');
  const cart = useAddToCart();
  const [quantity, setQuantity] = useState(1);
  if (product.status === 'loading') return <Skeleton kind="detail" />;
  if (product.status === 'error')
    return <ErrorView error={product.error} what="product" retry={product.reload} />;
  const p = product.data;
  const note = cart.message?.productId === p.id ? cart.message : null;
  return (
    <div data-testid="product">
      <Breadcrumbs
        items={[
          { label: 'Home', href: '/' },
          { label: p.category.name, href: `/categories/${p.category.slug}` },
          { label: p.name },
        ]}
      />
      <div className="product-detail">
        <div className="product-detail__image">
          <img src={p.image} alt={p.name} width="640" height="480" />
        </div>
        <div>
          <p className="product-detail__brand">{p.brand}</p>
          <h1 className="product-detail__name">{p.name}</h1>
          <Stars rating={p.rating} />
          <div className="section">
            <Price product={p} size="lg" />
            <p className="muted">Inclusive of all taxes. Free delivery on orders from ₹499.</p>
          </div>
          <Stock product={p} />
          <div className="product-detail__buy">
            <div className="quantity">
              <button
                type="button"
                disabled={quantity <= 1}
                onClick={() => setQuantity(quantity - 1)}
                aria-label="Fewer"
              >
                −
              </button>
              <span>{quantity}</span>
              <button
                type="button"
                disabled={quantity >= Math.min(10, p.stock)}
                onClick={() => setQuantity(quantity + 1)}
                aria-label="More"
              >
                +
              </button>
            </div>
            <button
              type="button"
              className="button button--primary button--lg"
              disabled={!p.inStock || cart.busy === p.id}
              onClick={() => cart.add(p.id, quantity)}
              data-testid="add-to-cart"
            >
              <Icon name="cart" /> {cart.busy === p.id ? 'Adding…' : 'Add to cart'}
            </button>
            <WishlistButton productId={p.id} />
          </div>
          {note && (
            <p className={note.ok ? 'alert alert--ok' : 'alert alert--error'} role="status">
              {note.text}
              {note.ok && (
                <>
                  {' '}
                  — <a href="/cart">view your cart</a>
                </>
              )}
            </p>
          )}
          <Offer product={p} />
          <div className="section">
            <h2 className="section__title">About this product</h2>
            <p>{p.description}</p>
          </div>
        </div>
      </div>
      {canEdit && <EditProduct key={p.id} product={p} onSaved={(saved) => product.set(saved)} />}
      <Related product={p} />
    </div>
  );
}

/** The product remote: details, add to cart, wishlist and personal offer when signed in, editing for `catalog:edit`. */
export const remote = defineReactRemote(ProductPageView);
