// The child side of the protocol between bench/run.mjs and the servers it starts (see lib/processes.mjs):
// a child says `{ type: 'ready', url }` over IPC once it listens, and stops cleanly on SIGTERM or SIGINT, or
// when the parent goes away (its IPC channel closes: it then signals itself), so no server outlives the bench.

/**
 * Announces `url` to the parent and installs the shutdown handlers.
 * @param {string} url where the server listens
 * @param {() => Promise<unknown>} close stops the server; the process exits once it resolves
 */
export function readyOnIpc(url, close) {
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
  process.send?.({ type: 'ready', url });
}
