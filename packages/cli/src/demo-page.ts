import type { IdentityContext } from '@gatehouse/policy';

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * The page `gatehouse demo` serves for HTML navigations: who is signed in (the identity context, never a
 * token), and buttons that call the sample API through the BFF and sign out. Scripts run under the BFF's
 * nonce-based CSP.
 */
export function demoPage({
  path,
  identity,
  nonce,
}: {
  path: string;
  identity: IdentityContext;
  nonce: string;
}): string {
  const body = identity.isAuthenticated
    ? `<h1>Hello, ${escapeHtml(identity.user.displayName)}</h1>
<p>This is the identity context the shell and remotes receive. No token ever reaches this page.</p>
<pre>${escapeHtml(JSON.stringify(identity, null, 2))}</pre>
<p><button id="me">GET /api/sample/me</button> <button id="own">GET /api/sample/orders/order_123</button> <button id="logout">Sign out</button></p>
<pre id="out" aria-live="polite"></pre>`
    : `<h1>Gatehouse demo</h1><p>You are not signed in. Sign in as alice, bob, carol, dave, erin or frank (password = user name).</p>
<p><a href="/auth/login?returnTo=${encodeURIComponent(path)}">Sign in</a></p>`;
  const script = identity.isAuthenticated
    ? `const out=document.getElementById('out');
const call=async(url)=>{const r=await fetch(url,{headers:{'x-csrf':'1'}});out.textContent=r.status+' '+JSON.stringify(await r.json(),null,2);};
document.getElementById('me').onclick=()=>call('/api/sample/me');
document.getElementById('own').onclick=()=>call('/api/sample/orders/order_123');
document.getElementById('logout').onclick=async()=>{const r=await fetch('/auth/logout',{method:'POST',headers:{'x-csrf':'1'}});location.assign((await r.json()).redirectTo);};`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Gatehouse demo</title>
<style nonce="${nonce}">body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#1d2330}pre{background:#f0f2f5;padding:1rem;border-radius:6px;overflow:auto}button,a{font:inherit;padding:.4rem .9rem;border-radius:6px;border:1px solid #3552d1;background:#3552d1;color:#fff;text-decoration:none;cursor:pointer}</style>
</head><body>${body}${script ? `<script nonce="${nonce}">${script}</script>` : ''}</body></html>`;
}
