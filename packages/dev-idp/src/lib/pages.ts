import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

const TITLE = 'Gatehouse dev identity provider';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:22rem;margin:3rem auto;background:#fff;border-radius:8px;padding:1.5rem 2rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.15rem;margin:0 0 .25rem}h2{font-size:1rem;font-weight:500;margin:0 0 1rem;color:#555}
label{display:block;font-size:.85rem;margin:.75rem 0 .25rem}
input{box-sizing:border-box;width:100%;padding:.5rem;border:1px solid #bbc;border-radius:4px;font:inherit}
button{margin-top:1rem;width:100%;padding:.6rem;border:0;border-radius:4px;background:#2d5bd7;color:#fff;font:inherit;cursor:pointer}
button.secondary{background:none;color:#2d5bd7;margin-top:.5rem}
.error{background:#fdecec;color:#a11;border-radius:4px;padding:.5rem .75rem}
.hint{font-size:.8rem;color:#666;margin-top:1.25rem}code{background:#eef;padding:0 .2em;border-radius:3px}
`;

/** A complete page: title, the small stylesheet, `body` as given (already escaped by the caller). */
export function page(heading: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${TITLE}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${TITLE}</h1>
<h2>${escapeHtml(heading)}</h2>
${body}
</main>
</body>
</html>
`;
}

/** Headers every page of the dev IdP carries: no caching, no framing, no scripts, no referrer. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // No form-action: Chromium applies it to the redirects after a form POST, which go to the client.
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/** Sends an HTML page with {@link PAGE_HEADERS}. */
export function sendPage(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

/** The login form: fields `login` and `password`, a submit button, and the demo logins as a hint. */
export function loginPage(options: {
  uid: string;
  clientName: string;
  logins: readonly string[];
  error?: string;
  login?: string;
}): string {
  const uid = encodeURIComponent(options.uid);
  const error = options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : '';
  const hint = options.logins.map((login) => `<code>${escapeHtml(login)}</code>`).join(', ');
  return page(
    `Sign in to ${options.clientName}`,
    `${error}
<form method="post" action="/interaction/${uid}/login" autocomplete="off">
<label for="login">User name</label>
<input id="login" name="login" type="text" required autofocus value="${escapeHtml(options.login ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" required>
<label for="code">Security code (for a stronger sign-in; may stay empty)</label>
<input id="code" name="code" type="text" inputmode="numeric">
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${uid}/abort">
<button type="submit" class="secondary">Cancel</button>
</form>
<p class="hint">Demo users: ${hint}. The password is the user name, the security code 123456. Development only.</p>`,
  );
}

/** The end-session confirmation: oidc-provider's hidden form plus a visible "Sign out" button. */
export function logoutPage(form: string, clientName: string | undefined): string {
  const who = clientName ? ` of ${escapeHtml(clientName)} and` : '';
  return page(
    'Sign out',
    `<p>Sign out${who} of the dev identity provider?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`,
  );
}

/**
 * The sign-out for a request that named the user with a valid `id_token_hint`: no question, the form is
 * submitted at once by the page's nonced script, as issuers do that trust the hint (Keycloak, LemonLDAP::NG
 * with "bypass confirm"). Answers the page and the CSP that lets its one script run.
 */
export function confirmedLogoutPage(form: string): { readonly html: string; readonly csp: string } {
  const nonce = randomBytes(16).toString('base64');
  const html = page(
    'Signing out',
    `<p>Signing out of the dev identity provider…</p>
${form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>')}
<button type="submit" form="op.logoutForm">Continue</button>
<script nonce="${nonce}">document.getElementById('op.logoutForm').submit();</script>`,
  );
  const csp = `${PAGE_HEADERS['content-security-policy']}; script-src 'nonce-${nonce}'`;
  return { html, csp };
}

/** Shown after a logout that had no `post_logout_redirect_uri`. */
export function loggedOutPage(): string {
  return page('Signed out', '<p>You are signed out of the dev identity provider.</p>');
}

/** An error page: the OAuth error code and description only, never a stack trace. */
export function errorPage(error: string, description: string | undefined): string {
  return page(
    'Something went wrong',
    `<p class="error" role="alert"><strong>${escapeHtml(error)}</strong>${
      description ? `: ${escapeHtml(description)}` : ''
    }</p>`,
  );
}
