// The long-lived suite's section of bench/results.md: sign-ins per second and an idle WebSocket's memory.
import { int, verdict } from '../lib/format.js';
import { notMeasuredSection, type Section } from '../lib/sections.js';
import { type NotMeasured, notMeasured } from '../lib/suite.js';
import { LONG_LIVED_GOALS, type LongLivedResult } from './suite.js';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export function longLivedSection(result: LongLivedResult | NotMeasured | undefined): Section | undefined {
  if (!result) return undefined;
  const title = 'Sign-ins and idle WebSockets (one BFF process)';
  if (notMeasured(result)) return notMeasuredSection(title, result);
  const { signIns, sockets } = result;
  const goal = LONG_LIVED_GOALS.bytesPerSocket;
  return {
    title,
    paragraphs: [
      `Sign-ins: complete sign-ins through one BFF process (memory store) against the real dev IdP in its own ` +
        `process — \`/auth/login\`, the IdP's login form, the callback, a new session — ${result.concurrency} at ` +
        `a time for ${signIns.seconds.toFixed(0)} s. Idle WebSockets: ${int(sockets)} WebSockets of one session ` +
        `opened through \`/api/live/…\` to a \`ws\` upstream in its own process and left idle; the BFF's heap ` +
        `(+ external) and RSS after a full GC, before and after, divided by ${int(sockets)}.`,
    ],
    tables: [
      {
        head: ['figure', 'measured', 'goal', 'verdict'],
        rows: [
          [
            'sign-ins per second',
            `${(signIns.count / signIns.seconds).toFixed(1)} (${int(signIns.count)} in ${signIns.seconds.toFixed(1)} s, ${signIns.failed} failed)`,
            '–',
            signIns.failed === 0 ? '' : 'NOT met (failures)',
          ],
          [
            'idle WebSocket: heap + external per connection',
            kb(result.heapPerSocket),
            `≤ ${kb(goal)}`,
            verdict(result.heapPerSocket <= goal),
          ],
          [
            'idle WebSocket: RSS per connection',
            kb(result.rssPerSocket),
            `≤ ${kb(goal)}`,
            verdict(result.rssPerSocket <= goal),
          ],
        ],
      },
    ],
  };
}
