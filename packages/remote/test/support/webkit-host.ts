import { vi } from 'vitest';

/**
 * Makes this test's page a hybrid app's WebView: a WebKit script-message handler with reply
 * (`window.webkit.messageHandlers.gatehouse`) that records each message and answers with `answer(message)`,
 * and a page `fetch` that throws (the WebView holds no session: nothing may go around the host). Undo with
 * `vi.unstubAllGlobals()`. Answers the list the messages are recorded in.
 */
export function stubWebKitHost(answer: (message: unknown) => unknown): unknown[] {
  const sent: unknown[] = [];
  vi.stubGlobal('fetch', () => {
    throw new Error('the page’s own fetch was used: the WebView has no session');
  });
  vi.stubGlobal('window', {
    webkit: {
      messageHandlers: {
        gatehouse: {
          postMessage: async (message: unknown) => {
            sent.push(message);
            return answer(message);
          },
        },
      },
    },
  });
  return sent;
}
