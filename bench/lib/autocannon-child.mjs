// Runs autocannon in its own process (the fallback when wrk is missing) and prints its result as one JSON line.
// Options come from BENCH_AUTOCANNON (JSON: url, headers, connections, workers, duration, timeout).
import autocannon from 'autocannon';

const options = JSON.parse(process.env.BENCH_AUTOCANNON ?? '{}');
const result = await autocannon({
  url: options.url,
  headers: options.headers,
  connections: options.connections,
  duration: options.duration,
  timeout: options.timeout,
  ...(options.workers > 1 ? { workers: options.workers } : {}),
});
process.stdout.write(`${JSON.stringify(result)}\n`);
