// The parent side: starts each server under test in its own process, waits for its `ready` message, and
// stops it (SIGTERM, then SIGKILL after a grace period). Every child started is tracked, so `stopAll()` can
// end them on failure or Ctrl-C.
//
// The children are TypeScript (servers/, proxy/servers/, browser/bff-page.ts) but run on plain `node`, as a
// deployment runs the BFF: each is compiled once per run with esbuild into bench/.tmp/children/, the bench's
// own modules bundled in and every package left external, so `@gatehouse/bff` resolves as for any
// application, to the built package (dist/, the `default` export condition), and no loader hook or source-map
// support runs inside a measured process.
import { type ChildProcess, fork } from 'node:child_process';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { isMessage, type ReadyMessage } from './child.js';
import { BENCH_DIR, TMP_DIR } from './paths.js';

const running = new Set<ChildProcess>();
const compiled = new Map<string, Promise<string>>();

/** A server under test, running. */
export interface Server {
  /** Where it listens. */
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface StartOptions {
  /** Added to the bench's environment. */
  readonly env?: Record<string, string>;
  /** Node options of the child, e.g. `--cpu-prof`. */
  readonly execArgv?: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * The runnable JavaScript of a child's TypeScript entry (`bench/.tmp/children/<path>.mjs`), compiled once per
 * run: ESM for Node 20, the bench's modules bundled, packages external.
 */
export function compileChild(entry: string): Promise<string> {
  let done = compiled.get(entry);
  if (!done) {
    const outfile = join(TMP_DIR, 'children', relative(BENCH_DIR, entry).replace(/\.ts$/, '.mjs'));
    done = build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      packages: 'external',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
    }).then(() => outfile);
    compiled.set(entry, done);
  }
  return done;
}

/**
 * Compiles and forks `entry` (a TypeScript file of the bench) and resolves once it says it listens.
 * @param name for messages
 * @param entry absolute path of the child's `.ts` file
 */
export async function startServer(name: string, entry: string, options: StartOptions = {}): Promise<Server> {
  const script = await compileChild(entry);
  const child = fork(script, [], {
    env: { ...process.env, ...options.env },
    execArgv: [...(options.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  void exited.then(() => running.delete(child));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${name} did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (message) => {
      if (!isMessage(message, 'ready')) return;
      clearTimeout(timer);
      resolve({ url: (message as ReadyMessage).url, child, stop });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
}

/** Sends `{ type }` to a child and resolves with its answer of the same type (see `answerOnIpc`). */
export function ask<T extends object>(child: ChildProcess, type: string): Promise<T & { type: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} answer`)), 5_000);
    const onMessage = (message: unknown) => {
      if (!isMessage(message, type)) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as T & { type: string });
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

/** Like {@link ask}, with `payload` in the question (a child that acts on it: `answerOnIpcWith`). */
export function askWith<T extends object>(
  child: ChildProcess,
  type: string,
  payload: object,
  timeoutMs = 10_000,
): Promise<T & { type: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} answer`)), timeoutMs);
    const onMessage = (message: unknown) => {
      if (!isMessage(message, type)) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as T & { type: string });
    };
    child.on('message', onMessage);
    child.send({ ...payload, type });
  });
}

/** Stops every child still running (SIGTERM, then SIGKILL after 10 s). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
}

/** Kills every child at once, synchronously (for `process.on('exit')`). */
export function killAllNow(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
