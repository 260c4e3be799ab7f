import { defineReactRemote, useRemoteContext } from '@gatehouse/react';
import {
  Breadcrumbs,
  type Category,
  ErrorView,
  PageHeader,
  ProductGrid,
  type ProductPage,
  plural,
  Skeleton,
  StateView,
  useApiData,
} from '@gatehouse/shop-ui';
import type { ReactNode } from 'react';

const SORTS = [
  ['featured', 'Top rated'],
  ['price_asc', 'Price: low to high'],
  ['price_desc', 'Price: high to low'],
  ['newest', 'Newest'],
  ['name', 'Name'],
] as const;
const PAGE_SIZE = 12;

/** Categories (`/categories/:slug`) and search (`/search?q=`): one product list, sorted and paged by the query. */
function Catalog(): ReactNode {
  const { route, navigate } = useRemoteContext();
  const params = new URLSearchParams(route.search);
  const slug = route.params.slug;
  const q = params.get('q')?.trim() ?? '';
  const sort = SORTS.some(([id]) => id === params.get('sort')) ? params.get('sort')! : 'featured';
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const categories = useApiData<Category[]>('/api/catalog/categories');
  const query = new URLSearchParams({ sort, page: String(page), pageSize: String(PAGE_SIZE) });
  if (slug) query.set('category', slug);
  if (q) query.set('q', q);
  const products = useApiData<ProductPage>(`/api/catalog/products?${query}`);
  const category =
    slug && categories.status === 'ok' ? categories.data.find((c) => c.slug === slug) : undefined;

  const go = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(route.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    const search = next.toString();
    navigate(`${route.path}${search ? `?${search}` : ''}`);
  };

  if (slug && categories.status === 'ok' && !category)
    return (
      <StateView kind="not-found" title="No such category">
        <p>
          <a href="/">Back to the shop</a>
        </p>
      </StateView>
    );

  const title = slug ? (category?.name ?? ' ') : q ? `Results for “${q}”` : 'All products';
  const total = products.status === 'ok' ? products.data.total : undefined;
  const pages = total === undefined ? 1 : Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <div className="catalog" data-testid="catalog">
      <Breadcrumbs
        items={[{ label: 'Home', href: '/' }, { label: slug ? (category?.name ?? '…') : 'Search' }]}
      />
      <PageHeader
        title={title}
        subtitle={slug ? category?.description : q ? undefined : 'Everything in the shop'}
      />
      <div className="toolbar">
        <span className="muted">{total !== undefined ? plural(total, 'product') : ' '}</span>
        <label className="checkbox">
          <span className="muted">Sort by</span>
          <select
            className="select"
            value={sort}
            onChange={(event) =>
              go({
                sort: event.target.value === 'featured' ? undefined : event.target.value,
                page: undefined,
              })
            }
          >
            {SORTS.map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {products.status === 'loading' && <Skeleton />}
      {products.status === 'error' && (
        <ErrorView error={products.error} what="list" retry={products.reload} />
      )}
      {products.status === 'ok' &&
        (products.data.items.length ? (
          <ProductGrid products={products.data.items} />
        ) : (
          <StateView kind="empty" title="Nothing matches your search">
            <p>Try another word: “earbuds”, “saree”, “cricket”, “cookbook”…</p>
          </StateView>
        ))}
      {pages > 1 && (
        <nav className="pager" aria-label="Pages">
          <button
            type="button"
            className="button"
            disabled={page <= 1}
            onClick={() => go({ page: String(page - 1) })}
          >
            Previous
          </button>
          <span className="muted">
            Page {page} of {pages}
          </span>
          <button
            type="button"
            className="button"
            disabled={page >= pages}
            onClick={() => go({ page: String(page + 1) })}
          >
            Next
          </button>
        </nav>
      )}
    </div>
  );
}

/** The catalog remote: categories and search. Public: anonymous visitors see list prices. */
export const remote = defineReactRemote(Catalog);
