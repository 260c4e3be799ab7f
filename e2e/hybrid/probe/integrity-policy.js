// What WebKitGTK does with module integrity, for e2e/hybrid/integrity-policy.test.ts: one page per case, an
// entry module with its own `integrity` that statically imports a second module whose hash the page's import
// map gives (right or wrong), with and without `Integrity-Policy: blocked-destinations=(script)`. Prints one
// JSON line per case: `{ "case", "title" }`, where the title is `ok a` when the import ran.
// Run: xvfb-run -a gjs -m integrity-policy.js

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import Soup from 'gi://Soup?version=3.0';
import WebKit from 'gi://WebKit?version=6.0';

const encoder = new TextEncoder();
const sri = (text) => {
  const hex = GLib.compute_checksum_for_data(GLib.ChecksumType.SHA384, encoder.encode(text));
  const bytes = Uint8Array.from(hex.match(/../g).map((pair) => Number.parseInt(pair, 16)));
  return `sha384-${GLib.base64_encode(bytes)}`;
};
const IMPORTED = `export const a = 'a';`;
const STATIC = `import { a } from './a.js'; document.title = 'ok ' + a;`;
const DYNAMIC = `import('./a.js').then((m) => { document.title = 'ok ' + m.a; }, () => { document.title = 'failed'; });`;
const WRONG = `sha384-${'A'.repeat(64)}`;
const cases = {
  'static import, right hash, no policy': { policy: false, hash: sri(IMPORTED), entry: STATIC },
  'static import, wrong hash, no policy': { policy: false, hash: WRONG, entry: STATIC },
  'static import, right hash, policy': { policy: true, hash: sri(IMPORTED), entry: STATIC },
  'dynamic import, right hash, policy': { policy: true, hash: sri(IMPORTED), entry: DYNAMIC },
  'dynamic import, wrong hash, no policy': { policy: false, hash: WRONG, entry: DYNAMIC },
};
const names = Object.keys(cases);
let current = '';

const server = new Soup.Server();
server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY);
const origin = `http://127.0.0.1:${server.get_uris()[0].get_port()}`;
server.add_handler(null, (_server, message, path) => {
  const shown = cases[current];
  const headers = message.get_response_headers();
  let body = IMPORTED;
  let type = 'text/javascript';
  if (path === '/main.js') body = shown.entry;
  else if (path !== '/a.js') {
    type = 'text/html';
    if (shown.policy) headers.replace('integrity-policy', 'blocked-destinations=(script)');
    body = `<!doctype html><title>pending</title>
<script type="importmap">${JSON.stringify({ imports: {}, integrity: { '/a.js': shown.hash } })}</script>
<script type="module" src="/main.js" integrity="${sri(shown.entry)}"></script>`;
  }
  message.set_status(200, null);
  message.set_response(type, Soup.MemoryUse.COPY, encoder.encode(body));
});

const app = new Gtk.Application({
  application_id: 'dev.gatehouse.IntegrityProbe',
  flags: Gio.ApplicationFlags.NON_UNIQUE,
});
app.connect('activate', () => {
  const view = new WebKit.WebView();
  const window = new Gtk.ApplicationWindow({ application: app });
  window.set_child(view);
  window.present();
  const next = () => {
    current = names.shift();
    if (!current) return app.quit();
    view.load_uri(`${origin}/?${encodeURIComponent(current)}`);
    // A case is over when its module ran (or its dynamic import failed), or after 5 s of nothing: a refused
    // static import runs nothing at all. A loaded machine only makes the good cases slower, never wrong.
    const started = GLib.get_monotonic_time();
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 100, () => {
      const title = view.get_title() ?? '';
      const settled = title.startsWith('ok') || title === 'failed';
      if (!settled && GLib.get_monotonic_time() - started < 5_000_000) return GLib.SOURCE_CONTINUE;
      print(JSON.stringify({ case: current, title }));
      next();
      return GLib.SOURCE_REMOVE;
    });
  };
  next();
});
app.run([]);
