import { defineReactRemote, useIdentity } from '@gatehouse/react';
import {
  type Category,
  ErrorView,
  Icon,
  ProductGrid,
  type ProductPage,
  Skeleton,
  useApiData,
} from '@gatehouse/shop-ui';
import type { ReactNode } from 'react';

const CATEGORY_COLOURS: Record<string, string> = {
  electronics: 'blue',
  'home-kitchen': 'amber',
  fashion: 'pink',
  books: 'green',
  'sports-fitness': 'violet',
};
const initials = (name: string) =>
  name
    .split(/[^A-Za-z]+/)
    .filter(Boolean)
    .map((word) => word[0])
    .slice(0, 2)
    .join('');

function Hero(): ReactNode {
  const identity = useIdentity();
  return (
    <section className="hero">
      <div className="hero__text">
        <p className="hero__eyebrow">Festive season sale</p>
        <h1 className="hero__title">
          {identity.isAuthenticated
            ? `Welcome back, ${identity.user.displayName}`
            : 'Everything for your home, delivered'}
        </h1>
        <p className="hero__lead">
          {identity.isAuthenticated
            ? 'Your member prices are on: look for the offer tags.'
            : 'Handloom, books, gadgets and kitchenware from across India. Sign in for member prices.'}
        </p>
        <p className="hero__actions">
          <a className="button button--primary button--lg" href="/search?q=">
            Browse the shop
          </a>
          <a className="button button--ghost button--lg" href="/categories/electronics">
            Electronics deals
          </a>
        </p>
      </div>
      <div className="hero__art" aria-hidden="true">
        <Icon name="bag" size={132} />
      </div>
    </section>
  );
}

function Categories(): ReactNode {
  const categories = useApiData<Category[]>('/api/catalog/categories');
  if (categories.status !== 'ok') return null;
  return (
    <section className="section">
      <h2 className="section__title">Shop by category</h2>
      <div className="category-tiles">
        {categories.data.map((category) => (
          <a key={category.slug} className="category-tile" href={`/categories/${category.slug}`}>
            <span
              className={`category-tile__art tint--${CATEGORY_COLOURS[category.slug] ?? 'blue'}`}
              aria-hidden="true"
            >
              {initials(category.name)}
            </span>
            <span className="category-tile__name">{category.name}</span>
            <span className="category-tile__count">{category.productCount} products</span>
          </a>
        ))}
      </div>
    </section>
  );
}

function Home(): ReactNode {
  const featured = useApiData<ProductPage>('/api/catalog/products?sort=featured&pageSize=8');
  return (
    <div className="home" data-testid="home">
      <Hero />
      <Categories />
      <section className="section">
        <div className="section__head">
          <h2 className="section__title">Top rated</h2>
          <a href="/search?q=">See all</a>
        </div>
        {featured.status === 'loading' && <Skeleton />}
        {featured.status === 'error' && <ErrorView error={featured.error} retry={featured.reload} />}
        {featured.status === 'ok' && <ProductGrid products={featured.data.items} />}
      </section>
      <section className="perks">
        <div className="perk">
          <Icon name="truck" size={26} />
          <span>
            <strong>Free delivery</strong> on orders from ₹499
          </span>
        </div>
        <div className="perk">
          <Icon name="box" size={26} />
          <span>
            <strong>Cash on delivery</strong> up to ₹10,000
          </span>
        </div>
        <div className="perk">
          <Icon name="shield" size={26} />
          <span>
            <strong>Secure sign-in</strong>: no token ever reaches your browser
          </span>
        </div>
      </section>
    </div>
  );
}

/** The home remote: hero, categories, top-rated products. Public. */
export const remote = defineReactRemote(Home);
