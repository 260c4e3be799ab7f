/**
 * Follows one direction of a WebSocket by its frames' lengths only (RFC 6455 §5.2: no unmasking, no payload
 * read), so the proxy knows when the bytes piped so far end on a frame boundary: the only place where a frame
 * of its own (a close frame) may go without breaking the stream.
 */
export class FrameBoundary {
  /** Payload bytes of the current frame still to come. */
  #skip = 0;
  /** The start of a frame header split across chunks. */
  #head: Buffer | undefined;

  /** True when every frame seen so far is complete. */
  get atBoundary(): boolean {
    return this.#skip === 0 && this.#head === undefined;
  }

  /**
   * Takes the next chunk of the stream (a `data` listener beside the pipe). With `untilBoundary`, stops at
   * the first frame end: answers how many bytes of `chunk` complete the current frame (all of it otherwise).
   */
  readonly feed = (chunk: Buffer, untilBoundary = false): number => {
    const carried = this.#head?.length ?? 0;
    const data = this.#head === undefined ? chunk : Buffer.concat([this.#head, chunk]);
    this.#head = undefined;
    let at = 0;
    while (at < data.length) {
      if (this.#skip > 0) {
        const taken = Math.min(this.#skip, data.length - at);
        this.#skip -= taken;
        at += taken;
        if (untilBoundary && this.#skip === 0) return at - carried;
        continue;
      }
      const header = headerOf(data, at);
      if (header === undefined) {
        this.#head = data.subarray(at);
        return chunk.length;
      }
      at += header.size;
      this.#skip = header.payload;
      if (untilBoundary && this.#skip === 0) return at - carried;
    }
    return chunk.length;
  };
}

/** A frame header's size and its payload's length, or `undefined` when the header is not all there yet. */
function headerOf(data: Buffer, at: number): { size: number; payload: number } | undefined {
  if (data.length - at < 2) return undefined;
  const second = data[at + 1] as number;
  const length = second & 0x7f;
  const extended = length === 126 ? 2 : length === 127 ? 8 : 0;
  const size = 2 + extended + (second & 0x80 ? 4 : 0);
  if (data.length - at < size) return undefined;
  const payload =
    length === 126
      ? data.readUInt16BE(at + 2)
      : length === 127
        ? Number(data.readBigUInt64BE(at + 2))
        : length;
  return { size, payload };
}

/** A server's close frame (unmasked, RFC 6455 §5.5.1): the status `code` and a short ASCII `reason`. */
export function closeFrame(code: number, reason: string): Buffer {
  const body = Buffer.from(reason, 'utf8');
  if (body.length > 123) throw new RangeError('a close reason is at most 123 bytes');
  const frame = Buffer.alloc(4 + body.length);
  frame[0] = 0x88;
  frame[1] = 2 + body.length;
  frame.writeUInt16BE(code, 2);
  body.copy(frame, 4);
  return frame;
}
