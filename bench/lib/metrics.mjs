// Reads a BFF instance's Prometheus metrics (its `metricsPort`), for the refresh storm and the load test.
import { request } from 'undici';

/**
 * Samples of the Prometheus text at `http://127.0.0.1:<port>/metrics`.
 * @param {number} port
 * @returns {Promise<Array<{ name: string, labels: Record<string, string>, value: number }>>}
 */
export async function scrape(port) {
  const answer = await request(`http://127.0.0.1:${port}/metrics`);
  const text = await answer.body.text();
  if (answer.statusCode !== 200) throw new Error(`metrics on port ${port} answered ${answer.statusCode}`);
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function total(samples, name, labels = {}) {
  return samples
    .filter(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}
