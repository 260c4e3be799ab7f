import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@gatehouse/testing';

/** A key and a self-signed certificate (PEM). */
export interface Certificate {
  readonly key: Buffer;
  readonly cert: Buffer;
}

/**
 * A throwaway self-signed certificate for `names` (DNS names), made with the `openssl` command. Nothing trusts
 * it: the browser context is told to ignore certificate errors (`ignoreHTTPSErrors`), which keeps the page a
 * secure context (`https:`), unlike plain `http:` on any host but localhost.
 */
export function selfSignedCertificate(names: readonly string[]): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${names[0]}`,
        '-addext',
        `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}`,
        '-keyout',
        join(dir, 'tls.key'),
        '-out',
        join(dir, 'tls.crt'),
      ],
      { stdio: 'pipe' },
    );
    return { key: readFileSync(join(dir, 'tls.key')), cert: readFileSync(join(dir, 'tls.crt')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One request as it reached the https front: what the browser sent. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  /** The `Cookie` header, as sent (absent: none). */
  readonly cookie: string | undefined;
}

/** A TLS-terminating front on 127.0.0.1 for a plain-HTTP server, like the deployment's reverse proxy. */
export interface HttpsFront {
  readonly port: number;
  /** Every request that came through, in order. */
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Serves https on a free port (or `port`) of 127.0.0.1 and passes every request, unchanged (the `Host` header
 * too), to `http://127.0.0.1:target`, recording what the browser sent.
 *
 * @example
 * const front = await httpsFront(bffPort, selfSignedCertificate(['localhost']));
 */
export async function httpsFront(
  target: number,
  certificate: Certificate,
  port?: number,
): Promise<HttpsFront> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer(certificate, (req, res) => {
    seen.push({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      host: req.headers.host ?? '',
      cookie: req.headers.cookie,
    });
    const upstream = request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  const listenOn = port ?? (await freePort());
  await new Promise<void>((resolve) => server.listen(listenOn, '127.0.0.1', resolve));
  return {
    port: listenOn,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
