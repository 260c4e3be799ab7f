// Apache httpd with mod_auth_openidc in front of the upstream, the reference the BFF's goals are stated against:
// writes a self-contained configuration (proxy/apache.ts `apacheConfig`) into a fresh temporary ServerRoot,
// runs `apache2 -f <conf> -DFOREGROUND` as its child, says it is ready once the port accepts connections, and
// stops it (SIGTERM, then SIGKILL) with itself: on SIGTERM/SIGINT, when the bench's IPC channel closes, and
// on exit. Apache's own exit before that ends this process with its error log.
// Options as JSON in BENCH_APACHE_OPTIONS (ApacheRp: port, publicUrl, issuer, clientSecret, upstream).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { optionsFromEnv, readyOnIpc } from '../../lib/child.js';
import { type ApacheRp, apacheConfig, findApache } from '../apache.js';

const options = optionsFromEnv<ApacheRp>('BENCH_APACHE_OPTIONS');
const install = findApache();
if (!install.ok) throw new Error(install.reason);

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-apache-'));
// Apache's children run as www-data when started as root; the folder holds nothing secret but the config.
chmodSync(dir, 0o755);
const conf = join(dir, 'httpd.conf');
writeFileSync(
  conf,
  apacheConfig({
    ...options,
    dir,
    install,
    cryptoPassphrase: randomBytes(32).toString('base64url'),
    user: process.getuid?.() === 0 ? 'www-data' : undefined,
  }),
  { mode: 0o600 },
);

const errorLog = () => {
  try {
    return readFileSync(join(dir, 'error.log'), 'utf8').trim().split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
};

let stopping = false;
const httpd = spawn(install.binary, ['-f', conf, '-DFOREGROUND'], {
  stdio: ['ignore', 'inherit', 'inherit'],
  // Its own process group: a Ctrl-C reaches it through this process's stop(), in order.
  detached: true,
  env: { ...process.env, APACHE_RUN_DIR: dir, APACHE_LOCK_DIR: dir, APACHE_LOG_DIR: dir },
});
const exited = new Promise((resolve) => httpd.once('exit', resolve));
httpd.once('error', (error) => {
  console.error(`apache: cannot start ${install.binary}: ${error.message}`);
  process.exit(1);
});
httpd.once('exit', (code, signal) => {
  if (stopping) return;
  console.error(`apache exited (code ${code}, signal ${signal})\n${errorLog()}`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
// Whatever ends this process (short of SIGKILL) ends Apache too.
process.on('exit', () => {
  if (httpd.exitCode === null && httpd.signalCode === null && httpd.pid !== undefined) {
    try {
      process.kill(-httpd.pid, 'SIGKILL'); // the whole group: the parent and its children
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

/** SIGTERM (Apache stops its children and exits), SIGKILL after 5 s; then the temporary folder goes. */
async function stop(): Promise<void> {
  stopping = true;
  if (httpd.exitCode === null && httpd.signalCode === null) {
    httpd.kill('SIGTERM');
    const killer = setTimeout(() => httpd.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
  if (process.env.BENCH_DEBUG === '1') console.error(`apache error log:\n${errorLog()}`);
  rmSync(dir, { recursive: true, force: true });
}

/** Resolves once 127.0.0.1:<port> accepts a connection. */
async function listening(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`apache: nothing listens on port ${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

await listening(options.port);
readyOnIpc(`http://127.0.0.1:${options.port}`, stop);
