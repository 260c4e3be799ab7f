import { readAuthMessage } from '@gatehouse/policy';
import { request } from 'undici';

/**
 * A Server-Sent Events reader for tests: `next()` resolves with the next `data:` JSON, or rejects on timeout.
 * Every event goes through `readAuthMessage`, the check the browser runtime runs: one the runtime would ignore
 * comes out as `{ refusedByTheRuntime: … }`, so no test can pass on a message the shell does not understand.
 */
export interface EventReader {
  readonly status: number;
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

export async function openEvents(url: string, headers: Record<string, string>): Promise<EventReader> {
  const controller = new AbortController();
  const answer = await request(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const queue: Array<Record<string, unknown>> = [];
  const waiters: Array<(value: Record<string, unknown>) => void> = [];
  let buffer = '';
  const ended = (async () => {
    try {
      for await (const chunk of answer.body) {
        buffer += chunk.toString();
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data) {
            const sent: unknown = JSON.parse(data.slice(6));
            const event = (readAuthMessage(sent) ?? { refusedByTheRuntime: sent }) as Record<string, unknown>;
            const waiter = waiters.shift();
            if (waiter) waiter(event);
            else queue.push(event);
          }
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: answer.statusCode,
    ended,
    next: (timeoutMs = 3000) =>
      new Promise((resolve, reject) => {
        const queued = queue.shift();
        if (queued) return resolve(queued);
        const timer = setTimeout(() => reject(new Error('no event in time')), timeoutMs);
        waiters.push((event) => {
          clearTimeout(timer);
          resolve(event);
        });
      }),
    close: () => controller.abort(),
  };
}
