import type { IncomingMessage, ServerResponse } from 'node:http';
import { PAGE_HEADERS } from './pages.js';

/** The longest end-session form the dev IdP reads (an ID token hint and a few fields fit many times). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * RP-Initiated Logout 1.0 §2: an OP accepts the end-session request by POST, so a relying party can send
 * `id_token_hint` without putting a token in a URL. oidc-provider serves POST there only with SameSite=None
 * session cookies, which need https; the dev IdP runs on http, so it reads the POSTed form itself and hands
 * oidc-provider the same request as a GET with the form's fields as its query, in memory: nothing of it is
 * ever a URL on the wire or in the browser's history. Answers `false` for any other request.
 */
export async function endSessionByPost(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  next: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<boolean> {
  if (req.method !== 'POST' || pathname !== '/session/end') return false;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY_BYTES) break;
  }
  if (type !== 'application/x-www-form-urlencoded' || body.length > MAX_BODY_BYTES) {
    res.writeHead(400, PAGE_HEADERS).end('<p>The end-session request must be a form of at most 64 KB.</p>');
    return true;
  }
  const query = new URLSearchParams(body).toString();
  req.method = 'GET';
  req.url = `/session/end${query ? `?${query}` : ''}`;
  delete req.headers['content-type'];
  delete req.headers['content-length'];
  next(req, res);
  return true;
}
