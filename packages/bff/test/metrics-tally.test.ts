import { AggregatorRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BffMetrics, ProxyAnswers } from '../src/metrics.js';

const line = (text: string, series: string) =>
  text
    .split('\n')
    .find((entry) => entry.startsWith(`${series} `))
    ?.split(' ')[1];

describe('the proxy tallies (hot-path metrics read at scrape time)', () => {
  it('serve cumulative buckets, sum and count per upstream, and fold status classes into the counter', async () => {
    const metrics = new BffMetrics({ defaultMetrics: false });
    const catalog = metrics.proxyAnswers.tally('catalog');
    ProxyAnswers.record(catalog, 200, 0.0004);
    ProxyAnswers.record(catalog, 204, 0.003);
    ProxyAnswers.record(catalog, 503, 20);
    ProxyAnswers.record(metrics.proxyAnswers.tally('orders'), 404, 0.02);
    const text = await metrics.registry.metrics();
    const series = (name: string) => line(text, name);
    expect(series('gatehouse_proxy_duration_seconds_bucket{le="0.001",upstream="catalog"}')).toBe('1');
    expect(series('gatehouse_proxy_duration_seconds_bucket{le="0.005",upstream="catalog"}')).toBe('2');
    expect(series('gatehouse_proxy_duration_seconds_bucket{le="10",upstream="catalog"}')).toBe('2');
    expect(series('gatehouse_proxy_duration_seconds_bucket{le="+Inf",upstream="catalog"}')).toBe('3');
    expect(Number(series('gatehouse_proxy_duration_seconds_sum{upstream="catalog"}'))).toBeCloseTo(20.0034);
    expect(series('gatehouse_proxy_duration_seconds_count{upstream="orders"}')).toBe('1');
    expect(series('gatehouse_proxy_requests_total{upstream="catalog",status="2xx"}')).toBe('2');
    expect(series('gatehouse_proxy_requests_total{upstream="catalog",status="5xx"}')).toBe('1');
    expect(series('gatehouse_proxy_requests_total{upstream="orders",status="4xx"}')).toBe('1');
    expect(text).toMatch(/# TYPE gatehouse_proxy_duration_seconds histogram/);
    // A second scrape counts nothing twice.
    expect(
      line(
        await metrics.registry.metrics(),
        'gatehouse_proxy_requests_total{upstream="catalog",status="2xx"}',
      ),
    ).toBe('2');
  });

  it('sum across cluster workers like any prom-client metric', async () => {
    const workers = [new BffMetrics({ defaultMetrics: false }), new BffMetrics({ defaultMetrics: false })];
    for (const worker of workers) ProxyAnswers.record(worker.proxyAnswers.tally('catalog'), 200, 0.002);
    const merged = AggregatorRegistry.aggregate(
      await Promise.all(workers.map((worker) => worker.registry.getMetricsAsJSON())),
    );
    const text = await merged.metrics();
    expect(line(text, 'gatehouse_proxy_duration_seconds_count{upstream="catalog"}')).toBe('2');
    expect(line(text, 'gatehouse_proxy_duration_seconds_bucket{le="0.0025",upstream="catalog"}')).toBe('2');
    expect(line(text, 'gatehouse_proxy_requests_total{upstream="catalog",status="2xx"}')).toBe('2');
  });
});
