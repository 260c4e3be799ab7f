// The reference native host of a Gatehouse hybrid app: WebKitGTK 6.0 driven from GJS (docs/hybrid-apps.md).
//
// It shows the app in a WebView at a local origin (http://127.0.0.1:<port>, served by this host), signs the
// user in through the system browser (RFC 8252: a loopback redirect, PKCE S256), keeps the session handle on
// the native side only (the OS keyring when a Secret Service answers, else this process's memory), serves
// the bridge (a script-message handler with reply, in an isolated world the page cannot reach, relayed for
// the top frame of the app's origin only) and relays the BFF's push channel.
//
// GJS runs JavaScript, so this file and what it imports (the platform-free core, ../bridge-host.ts, and the
// contract of @gatehouse/policy) are bundled into one module first:
//   npx esbuild examples/shop/hybrid/gjs/host.js --bundle --format=esm --platform=neutral \
//     --conditions=gatehouse-source --external:gi://* --external:system --outfile=host.bundle.js
// Run: xvfb-run -a gjs -m host.bundle.js (no top-level await anywhere: GJS would run the whole app inside
// one promise job, and no promise would ever settle), with
//   GATEHOUSE_BFF_URL    the BFF (http://localhost:4000)
//   GATEHOUSE_APP_PORT   the local origin's port (0: a free one)
//   GATEHOUSE_HOST_BROWSER  `system` (default: the desktop's browser) or `stdout` (print the URL; a test opens it)
//   GATEHOUSE_APP_FILES  a folder of pages the app ships itself, served at /local/ of the local origin
// It prints one JSON line per event on stdout, and reads commands as JSON lines on stdin (tests):
//   {"id":1,"eval":"<body of an async function run in the page>"}, {"id":2,"cookies":true}, {"id":3,"quit":true}

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import JSC from 'gi://JavaScriptCore?version=6.0';
import Soup from 'gi://Soup?version=3.0';
import WebKit from 'gi://WebKit?version=6.0';
import { appOriginRelays, appOriginReport, createBridgeHost } from '../bridge-host.ts';

const BFF = GLib.getenv('GATEHOUSE_BFF_URL') ?? 'http://localhost:4000';
const APP_PORT = Number(GLib.getenv('GATEHOUSE_APP_PORT') ?? '0');
const BROWSER = GLib.getenv('GATEHOUSE_HOST_BROWSER') ?? 'system';
const APP_FILES = GLib.getenv('GATEHOUSE_APP_FILES');
const WORLD = 'gatehouse-bridge';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const say = (event, fields = {}) => print(JSON.stringify({ event, ...fields }));

// --- Crypto, from the platform: the kernel's CSPRNG and GLib's SHA-256 ---------------------------------

function randomBytes(count) {
  const stream = Gio.File.new_for_path('/dev/urandom').read(null);
  const bytes = stream.read_bytes(count, null).toArray();
  stream.close(null);
  return bytes;
}
const base64url = (bytes) =>
  GLib.base64_encode(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
function s256(text) {
  const hex = GLib.compute_checksum_for_string(GLib.ChecksumType.SHA256, text, -1);
  return base64url(Uint8Array.from(hex.match(/../g).map((pair) => Number.parseInt(pair, 16))));
}
const uriEscape = (text) => GLib.uri_escape_string(text, null, false);

// --- The handle: the OS keyring when one answers, else memory ------------------------------------------

// libsecret talks to the Secret Service over the session bus: without one (a CI's virtual display) the
// handle stays in this process's memory, and the host says so.
const secret = (() => {
  if (!GLib.getenv('DBUS_SESSION_BUS_ADDRESS')) return undefined;
  try {
    return imports.gi.Secret;
  } catch {
    return undefined;
  }
})();
const keyring = (() => {
  let memory;
  const schema = secret
    ? secret.Schema.new('dev.gatehouse.hybrid', secret.SchemaFlags.NONE, {
        bff: secret.SchemaAttributeType.STRING,
      })
    : undefined;
  let usable = Boolean(schema);
  return {
    get: () => memory,
    set(handle) {
      memory = handle;
      if (!usable) return say('keyring', { stored: 'memory' });
      try {
        secret.password_store_sync(
          schema,
          { bff: BFF },
          secret.COLLECTION_SESSION,
          'Gatehouse session',
          handle,
          null,
        );
        say('keyring', { stored: 'secret-service' });
      } catch {
        usable = false;
        say('keyring', { stored: 'memory', reason: 'no Secret Service answers' });
      }
    },
    clear() {
      memory = undefined;
      if (!usable) return;
      try {
        secret.password_clear_sync(schema, { bff: BFF }, null);
      } catch {
        usable = false;
      }
    },
  };
})();

// --- HTTP to the BFF (no cookie jar: the handle is attached by hand, never stored by Soup) ---------------

const session = new Soup.Session({ timeout: 30 });
// The push stream has a session of its own: a Soup session opens at most two connections to a host, and a
// held stream would leave the page's loads and the bridge one between them.
const pushSession = new Soup.Session();

function exchange(request, raw = false) {
  const message = Soup.Message.new(request.method, request.url);
  message.set_flags(Soup.MessageFlags.NO_REDIRECT);
  const headers = message.get_request_headers();
  for (const [name, value] of Object.entries(request.headers)) headers.replace(name, value);
  if (request.body !== null && request.body !== undefined)
    message.set_request_body_from_bytes(
      request.headers['content-type'] ?? 'application/json',
      new GLib.Bytes(encoder.encode(request.body)),
    );
  return new Promise((resolve, reject) => {
    session.send_and_read_async(message, GLib.PRIORITY_DEFAULT, null, (_session, result) => {
      try {
        const bytes = session.send_and_read_finish(result);
        const answer = {};
        message.get_response_headers().foreach((name, value) => {
          answer[name.toLowerCase()] = value;
        });
        resolve({
          status: message.get_status(),
          headers: answer,
          body: raw ? bytes : decoder.decode(bytes.toArray()),
        });
      } catch (error) {
        reject(error);
      }
    });
  });
}

// --- The bridge ------------------------------------------------------------------------------------------

let appOrigin;
let webView;
let pushCancel;
/** The handle of a session that expired, until the next sign-in or a logout (memory only). */
let expired;
const host = createBridgeHost({
  get appOrigin() {
    return appOrigin;
  },
  bffUrl: BFF,
  http: (request) => exchange(request),
  handle: () => keyring.get(),
  expiredHandle: () => expired,
  signedOut(how) {
    if (keyring.get() === undefined) {
      if (how === 'ended') expired = undefined;
      return;
    }
    // An expired session's handle is kept in memory, as a browser keeps its dead cookie: its remotes may
    // still leave their unsent work (/auth/pending) for the same user's next sign-in, which takes it along.
    expired = how === 'expired' ? keyring.get() : undefined;
    keyring.clear();
    pushCancel?.cancel();
    say('signed-out', { how });
  },
  // The issuer's session lives in the system browser: its sign-out is opened there. Without the BFF's
  // sign-out cookie (it reached this host, which drops it) the page sends the browser to the issuer's
  // end-session endpoint with the client's id only, where the user confirms.
  loggedOut: () => openBrowser('sign-out-browser', `${BFF}/auth/logout/end`),
  refused: (reason, envelope) =>
    say('refused', { reason, origin: envelope.origin, mainFrame: envelope.mainFrame }),
});

/** The relay, in an isolated world of the top frame: the page reaches the handler only through it. */
const relayScript = (origin) => `(() => {
  if (location.origin !== ${JSON.stringify(origin)} || window.top !== window) return;
  document.documentElement.setAttribute('data-gatehouse-bridge', 'relay');
  addEventListener('message', (event) => {
    const data = event.data;
    if (!data || typeof data !== 'object' || !('gatehouse' in data)) return;
    const port = event.ports[0];
    window.webkit.messageHandlers.gatehouse
      .postMessage({ message: data.gatehouse, origin: event.origin, source: event.source === window })
      .then((answer) => port && port.postMessage(answer), () => port && port.postMessage(null));
  });
})();`;

/**
 * Messages also come from frames the relay does not run in: a cross-origin iframe posting to the top window
 * reaches the relay with another `source` and `origin`, and is refused by the host's checks.
 */
function onMessage(_manager, value, reply) {
  const context = value.get_context();
  const envelope = JSON.parse(value.to_json(0));
  host
    .receive({ message: envelope.message, origin: envelope.origin, mainFrame: envelope.source === true })
    .then((answer) => {
      say('bridge', { message: envelope.message, answer });
      reply.return_value(JSC.Value.new_from_json(context, JSON.stringify(answer)));
    })
    .catch((error) => {
      say('bridge-error', { error: String(error) });
      reply.return_error_message('the native host failed');
    });
  return true;
}

// --- The push channel, held by the host with the handle ---------------------------------------------------

function openPush() {
  const handle = keyring.get();
  if (handle === undefined) return;
  pushCancel?.cancel();
  const cancel = new Gio.Cancellable();
  pushCancel = cancel;
  const message = Soup.Message.new('GET', `${BFF}/auth/events`);
  message.get_request_headers().replace('cookie', handle);
  message.get_request_headers().replace('accept', 'text/event-stream');
  pushSession.send_async(message, GLib.PRIORITY_DEFAULT, cancel, (_session, result) => {
    let stream;
    try {
      stream = new Gio.DataInputStream({ base_stream: pushSession.send_finish(result) });
    } catch {
      return;
    }
    if (message.get_status() !== 200) return say('push', { status: message.get_status() });
    say('push', { status: 200 });
    let type = '';
    let data = '';
    const next = () =>
      stream.read_line_async(GLib.PRIORITY_DEFAULT, cancel, (_stream, lineResult) => {
        let line;
        try {
          [line] = stream.read_line_finish_utf8(lineResult);
        } catch {
          line = null;
        }
        if (line === null) return say('push', { closed: true });
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
        else if (line === '') {
          if (type === 'auth' && data) {
            try {
              host.push(JSON.parse(data));
              say('push-message', { message: JSON.parse(data) });
            } catch {
              // Not JSON: ignored.
            }
          }
          type = '';
          data = '';
        }
        next();
      });
    next();
  });
}

// --- Sign-in through the system browser (RFC 8252 §7.3: a loopback redirect) ------------------------------

let pending;
/** A sign-in completed: the push channel opens when the page it returns to is committed. */
let pushOnCommit = false;
const loopback = new Soup.Server();
loopback.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY);
const loopbackPort = loopback.get_uris()[0].get_port();

/** `returnTo`, and the sign-in a step-up asks for (`acr_values`, `max_age`), passed on to the BFF as they are. */
function startSignIn(returnTo, stepUp = {}) {
  const verifier = base64url(randomBytes(32));
  pending = {
    verifier,
    state: base64url(randomBytes(16)),
    redirectUri: `http://127.0.0.1:${loopbackPort}/signed-in`,
    returnTo,
  };
  const url =
    `${BFF}/auth/native/authorize?redirect_uri=${uriEscape(pending.redirectUri)}&state=${pending.state}` +
    `&code_challenge=${s256(verifier)}&code_challenge_method=S256` +
    Object.entries(stepUp)
      .map(([name, value]) => `&${name}=${uriEscape(value)}`)
      .join('');
  openBrowser('open-browser', url);
}

/** Opens `url` in the system browser (or, for tests, only says so), never in the WebView. */
function openBrowser(event, url) {
  say(event, { url });
  if (BROWSER === 'system') Gio.AppInfo.launch_default_for_uri(url, null);
}

function queryOf(message) {
  const query = message.get_uri().get_query() ?? '';
  const fields = {};
  for (const part of query.split('&')) {
    const [name, value = ''] = part.split('=');
    if (name) fields[decodeURIComponent(name)] = decodeURIComponent(value.replace(/\+/g, ' '));
  }
  return fields;
}

function answer(message, status, type, body) {
  message.set_status(status, null);
  message.get_response_headers().replace('cache-control', 'no-store');
  message.get_response_headers().replace('referrer-policy', 'no-referrer');
  message.set_response(
    type,
    Soup.MemoryUse.COPY,
    body instanceof GLib.Bytes ? body.toArray() : encoder.encode(body),
  );
}

loopback.add_handler('/signed-in', (_server, message) => {
  const { code, state } = queryOf(message);
  const expected = pending;
  pending = undefined;
  if (!expected || !code || state !== expected.state) {
    say('sign-in-refused', { reason: 'state' });
    return answer(message, 400, 'text/plain', 'This sign-in is not the one the app started.');
  }
  answer(
    message,
    200,
    'text/html',
    '<!doctype html><title>Signed in</title><p>Signed in. Go back to the app.</p>',
  );
  // The handle the app still holds (a step-up), or the one whose session expired: the BFF replaces that
  // session and carries the action a remote left there to the new one (the same user's only).
  const held = keyring.get() ?? expired;
  // The stream of the session being replaced stops first: its `logged-out` must not reach the new handle.
  pushCancel?.cancel();
  exchange({
    method: 'POST',
    url: `${BFF}/auth/native/token`,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(held === undefined ? {} : { cookie: held }),
    },
    body: JSON.stringify({
      grant_type: 'authorization_code',
      code,
      code_verifier: expected.verifier,
      redirect_uri: expected.redirectUri,
    }),
  }).then((token) => {
    if (token.status !== 200) return say('sign-in-refused', { status: token.status });
    expired = undefined;
    keyring.set(JSON.parse(token.body).handle);
    say('signed-in');
    // The push channel opens once the page the sign-in returns to is committed: opened earlier, its first
    // message reaches the page that started the sign-in, whose shell reloads itself for the new user and
    // cancels this navigation (the app lands on the old path instead of `returnTo`).
    pushOnCommit = true;
    webView.load_uri(`${appOrigin}${expected.returnTo}`);
  });
});

// --- The app's local origin: its pages and files, from the BFF; never /api or /auth ----------------------
//
// It mirrors the BFF's origin for GET, with the handle attached: the app's pages (rendered for its user), the
// shell's files, and the remotes the BFF serves behind the session (admin, org), which the page names on this
// origin (`relayRemotes` of @gatehouse/shell/native): the WebView has no session to fetch them from the BFF,
// and the BFF still decides who gets their code (401 signed out, 403 without the role).

const app = new Soup.Server();
app.listen_local(APP_PORT, Soup.ServerListenOptions.IPV4_ONLY);
appOrigin = `http://127.0.0.1:${app.get_uris()[0].get_port()}`;
// The BFF's `Integrity-Policy` is not passed on. WebKitGTK 2.50 enforces it, but blocks every static import
// under it: the integrity an import map gives a statically imported module is checked on its bytes (a wrong
// hash fails) and not seen by the policy, so a module graph like the shop shell's (one pinned entry, shared
// vendor chunks pinned by the import map) never loads, silently but for "Importing a module script failed".
// Without the header every script is still checked against the integrity its import map or tag gives it
// (and the shell proves it before loading any remote); what is lost in the WebView is the refusal of a
// module that nothing pins. Chromium still gets the header from the BFF. See docs/hybrid-apps.md.
const KEPT = [
  'content-type',
  'content-security-policy',
  'cache-control',
  'location',
  'x-content-type-options',
  // The page's reports go to its own origin's /reports, which the host relays to the BFF (below).
  'reporting-endpoints',
];

/** A security report the WebView sends on its own: to the BFF's /reports, without the handle. */
function relayReport(message, path) {
  const type = message.get_request_headers().get_one('content-type') ?? '';
  const body = message.get_request_body().flatten();
  if (!appOriginReport(message.get_method(), path, type, body.get_size())) return false;
  message.pause();
  exchange({
    method: 'POST',
    url: `${BFF}/reports`,
    headers: { 'content-type': type },
    body: decoder.decode(body.toArray()),
  })
    .then((sent) => {
      say('app', { path, status: sent.status });
      answer(message, sent.status === 204 ? 204 : 502, 'text/plain', '');
    })
    .catch(() => answer(message, 502, 'text/plain', ''))
    .finally(() => message.unpause());
  return true;
}

app.add_handler(null, (_server, message, path) => {
  if (APP_FILES && path.startsWith('/local/') && !path.includes('..')) {
    const file = Gio.File.new_for_path(`${APP_FILES}/${path.slice('/local/'.length)}`);
    try {
      const [, contents] = file.load_contents(null);
      return answer(
        message,
        200,
        path.endsWith('.js') ? 'text/javascript' : 'text/html',
        new GLib.Bytes(contents),
      );
    } catch {
      return answer(message, 404, 'text/plain', 'No such file.');
    }
  }
  if (relayReport(message, path)) return;
  const query = message.get_uri().get_query();
  if (!appOriginRelays(message.get_method(), `${path}${query ? `?${query}` : ''}`)) {
    say('app', { path, status: 404 });
    return answer(message, 404, 'text/plain', 'Only over the bridge.');
  }
  message.pause();
  const handle = keyring.get();
  Promise.resolve()
    .then(() =>
      exchange(
        {
          method: 'GET',
          url: `${BFF}${path}${query ? `?${query}` : ''}`,
          headers: {
            accept: message.get_request_headers().get_one('accept') ?? '*/*',
            ...(handle === undefined ? {} : { cookie: handle }),
          },
          body: null,
        },
        true,
      ),
    )
    .then((page) => {
      for (const name of KEPT)
        if (page.headers[name]) message.get_response_headers().replace(name, page.headers[name]);
      say('app', { path, status: page.status });
      answer(message, page.status, page.headers['content-type'] ?? 'application/octet-stream', page.body);
    })
    .catch((error) => {
      say('app-error', { path, error: String(error) });
      answer(message, 502, 'text/plain', 'The BFF did not answer.');
    })
    .finally(() => message.unpause());
});

// --- The window ------------------------------------------------------------------------------------------

const application = new Gtk.Application({
  application_id: 'dev.gatehouse.HybridHost',
  flags: Gio.ApplicationFlags.NON_UNIQUE,
});

application.connect('activate', () => {
  const manager = new WebKit.UserContentManager();
  manager.register_script_message_handler_with_reply('gatehouse', WORLD);
  manager.connect('script-message-with-reply-received::gatehouse', onMessage);
  manager.add_script(
    WebKit.UserScript.new_for_world(
      relayScript(appOrigin),
      WebKit.UserContentInjectedFrames.TOP_FRAME,
      WebKit.UserScriptInjectionTime.START,
      WORLD,
      null,
      null,
    ),
  );
  webView = new WebKit.WebView({ user_content_manager: manager });
  // The page's console goes to stdout (not JSON: a reader of the events skips it), for whoever debugs.
  webView.get_settings().set_enable_write_console_messages_to_stdout(true);
  // The WebView never signs in: a navigation to /auth/login starts the system browser's sign-in instead.
  webView.connect('decide-policy', (_view, decision, type) => {
    if (type !== WebKit.PolicyDecisionType.NAVIGATION_ACTION) return false;
    const uri = decision.get_navigation_action().get_request().get_uri();
    if (!uri.startsWith(`${appOrigin}/auth/`)) return false;
    decision.ignore();
    if (uri.startsWith(`${appOrigin}/auth/login`)) {
      const query = (name) => {
        const value = new RegExp(`[?&]${name}=([^&]*)`).exec(uri)?.[1];
        return value === undefined ? undefined : decodeURIComponent(value.replace(/\+/g, ' '));
      };
      const stepUp = {};
      for (const name of ['acr_values', 'max_age']) if (query(name) !== undefined) stepUp[name] = query(name);
      startSignIn(query('returnTo') ?? '/', stepUp);
    }
    return true;
  });
  webView.connect('load-changed', (_view, event) => {
    if (event === WebKit.LoadEvent.COMMITTED && pushOnCommit) {
      pushOnCommit = false;
      openPush();
    }
    if (event === WebKit.LoadEvent.FINISHED) say('loaded', { uri: webView.get_uri() });
  });
  const window = new Gtk.ApplicationWindow({ application, default_width: 1024, default_height: 768 });
  window.set_child(webView);
  window.present();
  webView.load_uri(`${appOrigin}/`);
  say('ready', { appOrigin, loopbackPort });
  readCommands();
});

// --- Commands on stdin (tests) ---------------------------------------------------------------------------

function readCommands() {
  const input = new Gio.DataInputStream({ base_stream: new Gio.UnixInputStream({ fd: 0, close_fd: false }) });
  const next = () =>
    input.read_line_async(GLib.PRIORITY_DEFAULT, null, (_stream, result) => {
      const [line] = input.read_line_finish_utf8(result);
      if (line === null) return application.quit();
      run(JSON.parse(line));
      next();
    });
  next();
}

function run(command) {
  const done = (fields) => print(JSON.stringify({ event: 'result', id: command.id, ...fields }));
  if (command.quit) {
    host.close();
    done({});
    return application.quit();
  }
  if (command.cookies) {
    const manager = webView.get_network_session().get_cookie_manager();
    return manager.get_all_cookies(null, (_manager, result) => {
      const cookies = manager
        .get_all_cookies_finish(result)
        .map((cookie) => `${cookie.get_name()}=${cookie.get_value()}`);
      done({ cookies });
    });
  }
  webView.call_async_javascript_function(command.eval, -1, null, null, null, null, (_view, result) => {
    try {
      const value = webView.call_async_javascript_function_finish(result);
      done({ value: value.is_undefined() ? null : JSON.parse(value.to_json(0) ?? 'null') });
    } catch (error) {
      done({ error: String(error.message ?? error) });
    }
  });
}

application.run([]);
