const MAX_LENGTH = 2048;
// Raw control characters (C0, DEL, C1) and their percent-encodings anywhere in the value.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]|%(?:[01][0-9a-f]|7f|[89][0-9a-f]|c2%[89][0-9a-f])/i;
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * The path to return to after login, or `/` when `value` is anything but a plain same-origin path
 * (docs/http-contract.md#auth-login): one leading `/`, not `//`; no `\`, `%5C` or `%2F` in the path; no `.` or
 * `..` segments (raw or encoded); no scheme; no control characters, raw or encoded; no fragment.
 *
 * @example
 * safeReturnTo('/orders/order_123?tab=items') // '/orders/order_123?tab=items'
 * safeReturnTo('//evil.example')              // '/'
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return '/';
  if (value[0] !== '/' || value[1] === '/' || value[1] === '\\') return '/';
  if (CONTROL.test(value) || value.includes('#')) return '/';
  const queryAt = value.indexOf('?');
  const path = queryAt === -1 ? value : value.slice(0, queryAt);
  if (/\\|%5c|%2f/i.test(path)) return '/';
  for (const segment of path.split('/')) if (DOT_SEGMENT.test(segment)) return '/';
  // A well-formed URL whose origin stays ours; answered in its normalized (percent-encoded) form.
  try {
    const base = 'http://gatehouse.invalid';
    const url = new URL(value, base);
    if (url.origin !== base || url.pathname.startsWith('//')) return '/';
    return `${url.pathname}${url.search}`;
  } catch {
    return '/';
  }
}
