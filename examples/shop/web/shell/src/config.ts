import type { RouteDefinition } from '@gatehouse/shell';

/** What the BFF's page inlines for the shell (`<script type="application/json" id="shop-config">`). */
export interface ShopPageConfig {
  readonly shopName: string;
  readonly version: string;
  /** The manifests this user may load (admin and org only for who may load them). */
  readonly remotes: readonly unknown[];
  /** The Module Federation containers among the remotes, loaded through `@gatehouse/federation`. */
  readonly federated?: readonly string[];
  /** Every route of the shop, so a route whose remote this user may not load still shows "no access". */
  readonly routes: readonly RouteDefinition[];
  /** Exact origins remote code comes from. */
  readonly allowedOrigins: readonly string[];
  /**
   * The BFF's origin, which the page's URLs of the remotes it serves behind the session are written for. In a
   * hybrid app's WebView the native host serves those at the app's own origin (docs/hybrid-apps.md).
   */
  readonly origin?: string;
  /** The BFF had no verified remote manifest for this page: no remote is listed, and the page says so. */
  readonly unavailable?: boolean;
}

/** Reads the page's config; throws when the page has none (the BFF always writes one). */
export function readPageConfig(doc: Document = document): ShopPageConfig {
  const text = doc.getElementById('shop-config')?.textContent;
  if (!text) throw new Error('the page has no #shop-config');
  return JSON.parse(text) as ShopPageConfig;
}

/** The user id the page was rendered for (from the identity the BFF inlined), or `null`. */
export function pageUserId(doc: Document = document): string | null {
  try {
    const identity = JSON.parse(doc.getElementById('gatehouse-identity')?.textContent ?? '{}');
    return identity?.isAuthenticated ? String(identity.user?.id) : null;
  } catch {
    return null;
  }
}
