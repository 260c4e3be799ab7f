// Small helpers shared by the bench's suites: free ports, sleeping, percentiles, number formatting.
import { createServer } from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Percentile `p` (0–100) of `values` by the nearest-rank method (the value below which p % of them fall).
 * @param {ArrayLike<number>} values sorted ascending
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** p50, p95, p99, max, mean and count of `values` (any order; not modified). */
export function summary(values) {
  const sorted = Float64Array.from(values).sort();
  const mean = sorted.length ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : Number.NaN;
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean,
  };
}

/** Milliseconds for tables: 3 significant digits, at most 2 decimals. */
export function ms(value) {
  if (!Number.isFinite(value)) return '–';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 0.1) return value.toFixed(2);
  return value.toFixed(3);
}

/** A duration in milliseconds with its unit: `0.2 µs`, `28 µs`, `1.63 ms`. */
export function duration(value) {
  if (!Number.isFinite(value)) return '–';
  if (value < 0.1) return `${(value * 1000).toFixed(value < 0.01 ? 2 : 0)} µs`;
  return `${ms(value)} ms`;
}

/** A whole number with thousands separators. */
export const int = (value) => Math.round(value).toLocaleString('en-US');

/** `met` or `NOT met`. */
export const verdict = (ok) => (ok ? 'met' : 'NOT met');

/** A whole number from the environment, at least `min`. */
export function envNumber(name, fallback, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be a whole number ≥ ${min}, not ${raw}`);
  return value;
}
