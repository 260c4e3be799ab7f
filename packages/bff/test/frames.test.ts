import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { closeFrame, FrameBoundary } from '../src/proxy/frames.js';

// `ws`'s own frame writer (exported, not in its type declarations).
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] };
};

/** Real frames, as `ws` writes them: unmasked from a server, masked from a client. */
const frame = (payload: Buffer, mask = false): Buffer =>
  Buffer.concat(Sender.frame(payload, { fin: true, opcode: 2, mask, readOnly: false, rsv1: false }));

describe('FrameBoundary: where the frames of a raw WebSocket stream end', () => {
  const frames = [
    frame(Buffer.alloc(0)),
    frame(Buffer.alloc(5, 1)),
    frame(Buffer.alloc(300, 2)),
    frame(Buffer.alloc(70_000, 3)),
    frame(Buffer.alloc(10, 4), true),
  ];
  const stream = Buffer.concat(frames);
  const ends = new Set<number>();
  let offset = 0;
  for (const f of frames) {
    offset += f.length;
    ends.add(offset);
  }

  it.each([1, 2, 3, 7, 1000, stream.length])('knows every boundary, in chunks of %i bytes', (size) => {
    const boundary = new FrameBoundary();
    const wrong: number[] = [];
    for (let at = 0; at < stream.length; at += size) {
      const chunk = stream.subarray(at, Math.min(at + size, stream.length));
      boundary.feed(chunk);
      const end = at + chunk.length;
      if (boundary.atBoundary !== ends.has(end)) wrong.push(end);
    }
    expect(wrong).toEqual([]);
  });

  it('answers how many bytes complete the current frame, split header included', () => {
    const boundary = new FrameBoundary();
    // In the middle of the 70,000-byte frame's extended length (its header is 2 + 8 bytes).
    const start = frames[0]!.length + frames[1]!.length + frames[2]!.length;
    boundary.feed(stream.subarray(0, start + 5));
    expect(boundary.atBoundary).toBe(false);
    const rest = stream.subarray(start + 5);
    const upTo = boundary.feed(rest, true);
    expect(start + 5 + upTo).toBe(start + frames[3]!.length);
    expect(boundary.atBoundary).toBe(true);
  });
});

describe('closeFrame', () => {
  it('is a close frame with the code and reason that a WebSocket client reads', () => {
    const bytes = closeFrame(1008, 'session ended');
    expect(bytes[0]).toBe(0x88);
    expect(bytes[1]).toBe(2 + 'session ended'.length);
    expect(bytes.readUInt16BE(2)).toBe(1008);
    expect(bytes.subarray(4).toString()).toBe('session ended');
    expect(() => closeFrame(1008, 'x'.repeat(124))).toThrow(RangeError);
  });
});
