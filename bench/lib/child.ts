// The child side of the protocol between the bench and the servers it starts (see lib/processes.ts): a child
// says `{ type: 'ready', url }` over IPC once it listens, and stops cleanly on SIGTERM or SIGINT, or when the
// parent goes away (its IPC channel closes: it then signals itself), so no server outlives the bench.

/** What a child sends once it listens. */
export interface ReadyMessage {
  readonly type: 'ready';
  /** Where it listens, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
}

/**
 * Announces `url` to the parent and installs the shutdown handlers.
 * @param url where the server listens
 * @param close stops the server; the process exits once it resolves
 */
export function readyOnIpc(url: string, close: () => unknown): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(0), 8_000);
    timer.unref();
    Promise.resolve()
      .then(close)
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // A real signal, so every SIGTERM handler of the process (startBff installs its own) runs as on a kill.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  const ready: ReadyMessage = { type: 'ready', url };
  process.send?.(ready);
}

/**
 * Answers the parent's `{ type }` questions: `answer()` is sent back as `{ type, ...answer() }` (see `ask` in
 * lib/processes.ts).
 */
export function answerOnIpc(type: string, answer: () => object): void {
  process.on('message', (message: unknown) => {
    if (isMessage(message, type)) process.send?.({ type, ...answer() });
  });
}

/** Answers the parent's `type` questions that carry a payload (`askWith`), one at a time as they come. */
export function answerOnIpcWith<Q extends object>(
  type: string,
  answer: (question: Q) => Promise<object>,
): void {
  process.on('message', (message: unknown) => {
    if (!isMessage(message, type)) return;
    void answer(message as unknown as Q).then(
      (value) => process.send?.({ ...value, type }),
      (error: unknown) => process.send?.({ type, error: String(error) }),
    );
  });
}

/** True when `message` is an object whose `type` is `type`. */
export function isMessage(message: unknown, type: string): message is { type: string } {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/** JSON options a child reads from its environment (`{}` when the variable is not set). */
export function optionsFromEnv<T>(name: string): T {
  return JSON.parse(process.env[name] ?? '{}') as T;
}
