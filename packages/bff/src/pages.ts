import { randomBytes } from 'node:crypto';
import type { IdentityContext } from '@gatehouse/policy';
import type { FastifyReply } from 'fastify';
import type { BffConfig } from './config.js';

/** Renders the shell page for an HTML navigation (the BFF adds the security headers). */
export type PageRenderer = (context: {
  readonly path: string;
  readonly identity: IdentityContext;
  readonly nonce: string;
  /** The verified remote manifest (when `manifest` is configured); `undefined` when it fails to verify. */
  readonly manifest?: unknown;
}) => string | Promise<string>;

/** A fresh CSP nonce: 128 bits from the CSPRNG, base64. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** What shapes the security headers of the BFF's HTML answers. */
export interface PageSecurity {
  /** Exact origins of remote code (CSP fallback for browsers without `'strict-dynamic'`). */
  readonly remoteOrigins?: readonly string[];
  /** Trusted Types policy names; empty leaves Trusted Types off. */
  readonly trustedTypes?: readonly string[];
  /** `Integrity-Policy` for scripts. */
  readonly integrityPolicy?: 'off' | 'report-only' | 'enforce';
  /** Send HSTS (the public URL is https). */
  readonly hsts?: boolean;
  /** Who may frame the page: `'none'` unless given (the front-channel logout page names the issuer). */
  readonly frameAncestors?: string;
  /** Where its forms may post besides the BFF itself (the sign-out page posts to the issuer). */
  readonly formAction?: string;
}

/** The security headers the configuration asks for on the BFF's HTML answers. */
export function pageSecurityOf(config: BffConfig): PageSecurity {
  return {
    remoteOrigins: config.remoteOrigins,
    trustedTypes: config.trustedTypes,
    integrityPolicy: config.integrityPolicy,
    hsts: config.publicUrl.startsWith('https://'),
  };
}

/**
 * Security headers of every HTML answer (docs/security-requirements.md#h42 to #h47): a strict CSP with a fresh nonce
 * (`'strict-dynamic'`, `object-src 'none'`, `base-uri 'none'`, `frame-ancestors`), Trusted Types for
 * scripts, `Integrity-Policy` for scripts (report-only or enforced, reported to `/reports`), `nosniff`,
 * `Referrer-Policy: no-referrer`, COOP, HSTS over https, and `no-store`.
 *
 * @example
 * reply.headers(htmlHeaders(nonce, { remoteOrigins: ['https://cdn.example'], trustedTypes: ['gatehouse'] }));
 */
export function htmlHeaders(nonce: string, security: PageSecurity = {}): Record<string, string> {
  const origins = (security.remoteOrigins ?? []).join(' ');
  const directives = [
    `default-src 'self'`,
    // With 'strict-dynamic', CSP3 browsers ignore 'self' and host sources: only nonced scripts and what they
    // load run. The remote loader enforces the origin allow-list and integrity; the hosts are for CSP2.
    `script-src 'nonce-${nonce}' 'strict-dynamic' 'self'${origins ? ` ${origins}` : ''}`,
    `style-src 'self' 'nonce-${nonce}'${origins ? ` ${origins}` : ''}`,
    `img-src 'self' data:`,
    `font-src 'self'${origins ? ` ${origins}` : ''}`,
    `connect-src 'self'`,
    `object-src 'none'`,
    `base-uri 'none'`,
    `form-action 'self'${security.formAction ? ` ${security.formAction}` : ''}`,
    `frame-ancestors ${security.frameAncestors ?? "'none'"}`,
    `report-to gatehouse`,
  ];
  const policies = security.trustedTypes ?? [];
  if (policies.length > 0) {
    directives.push(`require-trusted-types-for 'script'`, `trusted-types ${policies.join(' ')}`);
  }
  const headers: Record<string, string> = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': directives.join('; '),
    'reporting-endpoints': 'gatehouse="/reports"',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
  const integrity = security.integrityPolicy ?? 'off';
  if (integrity !== 'off') {
    const name = integrity === 'enforce' ? 'integrity-policy' : 'integrity-policy-report-only';
    headers[name] = 'blocked-destinations=(script), endpoints=(gatehouse)';
  }
  if (security.hsts) headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
  return headers;
}

/**
 * The identity context inlined in the shell page, so the runtime knows the auth state with no request:
 * `<script type="application/json" id="gatehouse-identity">`. Not executable (CSP does not apply to JSON
 * blocks), and `<` is escaped so the JSON cannot close the element. Never a token: only the identity context.
 *
 * @example
 * `<head>${identityScript(identity)}</head>`
 */
export function identityScript(identity: IdentityContext): string {
  const json = JSON.stringify(identity)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `<script type="application/json" id="gatehouse-identity">${json}</script>`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:40rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0}a,button{font:inherit;color:#fff;background:#3552d1;border:0;border-radius:6px;padding:.5rem 1rem;text-decoration:none;cursor:pointer}
pre{background:#f0f2f5;padding:1rem;border-radius:6px;overflow:auto;font-size:.85rem}.muted{color:#5b6475}`;

function layout(title: string, nonce: string, body: string, script = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style nonce="${nonce}">${STYLE}</style></head>
<body><main>${body}</main>${script ? `<script nonce="${nonce}">${script}</script>` : ''}</body></html>`;
}

/** The page shown when a login cannot complete: a clear message, a way to retry, nothing third-party. */
export function errorPage(nonce: string, title: string, message: string): string {
  return layout(
    title,
    nonce,
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="/auth/login?returnTo=%2F">Sign in again</a></p>`,
  );
}

/** Answers an error page (`errorPage`) with the HTML security headers and a fresh nonce. */
export function replyErrorPage(
  reply: FastifyReply,
  status: number,
  security: PageSecurity,
  text: { readonly title: string; readonly message: string },
): FastifyReply {
  const nonce = newNonce();
  return reply
    .code(status)
    .headers(htmlHeaders(nonce, security))
    .send(errorPage(nonce, text.title, text.message));
}

/**
 * The sign-out page: a form that posts `fields` to the issuer's end-session endpoint, submitted at once by
 * its nonced script (a button does it without JavaScript). The values are escaped; nothing else is on the page.
 */
export function endSessionPage(
  nonce: string,
  form: { readonly action: string; readonly fields: Readonly<Record<string, string>> },
): string {
  const inputs = Object.entries(form.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return layout(
    'Signing out',
    nonce,
    `<h1>Signing out…</h1><form id="end-session" method="post" action="${escapeHtml(form.action)}">${inputs}<p><button type="submit">Continue to sign out</button></p></form>`,
    `document.getElementById('end-session').submit();`,
  );
}

/**
 * The BFF's own page for HTML navigations when no shell page renderer is configured: shows who is signed
 * in (the identity context, never a token) with sign-in and sign-out. The shell replaces it.
 */
export function defaultPage(nonce: string, path: string, identity: IdentityContext): string {
  const signedIn = identity.isAuthenticated;
  const returnTo = encodeURIComponent(path);
  const body = signedIn
    ? `<h1>Signed in as ${escapeHtml(identity.user.displayName)}</h1>
<p class="muted">This is the Gatehouse BFF's built-in page. The identity context below is what the shell and remotes receive.</p>
<pre id="identity">${escapeHtml(JSON.stringify(identity, null, 2))}</pre>
<p><button id="logout" type="button">Sign out</button></p>`
    : `<h1>Gatehouse</h1><p class="muted">You are not signed in.</p><p><a id="login" href="/auth/login?returnTo=${returnTo}">Sign in</a></p>`;
  const script = signedIn
    ? `document.getElementById('logout').addEventListener('click',async()=>{const r=await fetch('/auth/logout',{method:'POST',headers:{'x-csrf':'1'}});const b=await r.json();location.assign(b.redirectTo||'/');});`
    : '';
  return layout('Gatehouse', nonce, `${identityScript(identity)}${body}`, script);
}
