// Number formatting for the bench's tables.

/** Milliseconds for tables: 3 significant digits, at most 2 decimals. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 0.1) return value.toFixed(2);
  return value.toFixed(3);
}

/** A duration in milliseconds with its unit: `0.2 µs`, `28 µs`, `1.63 ms`. */
export function duration(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value < 0.1) return `${(value * 1000).toFixed(value < 0.01 ? 2 : 0)} µs`;
  return `${ms(value)} ms`;
}

/** A whole number with thousands separators. */
export const int = (value: number): string => Math.round(value).toLocaleString('en-US');

/** `met` or `NOT met`. */
export const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');

/** `value / base` as `1.23×`, or `–` when it is not a number. */
export const ratio = (value: number | undefined, base: number | undefined): string => {
  const quotient = (value ?? Number.NaN) / (base ?? Number.NaN);
  return Number.isFinite(quotient) ? `${quotient.toFixed(2)}×` : '–';
};

/** A Markdown table cell: pipes escaped. */
export const cell = (value: unknown): string => String(value).replaceAll('|', '\\|');
