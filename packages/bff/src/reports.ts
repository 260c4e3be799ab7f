import type { Logger } from 'pino';

const MAX_REPORTS = 20;
const text = (value: unknown, max = 512): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined;
/** A URL without its query and fragment: reports may carry personal data there. */
const bare = (value: unknown): string | undefined => text(value)?.split(/[?#]/, 1)[0];

/**
 * Reads browser security reports (Reporting API `application/reports+json`, one such report alone as WebKit
 * sends it, or a legacy `application/csp-report`) — CSP and Integrity-Policy violations — and logs each as one structured line
 * (`event: "security_report"`), URLs without query or fragment. Answers how many were logged.
 *
 * @example
 * logSecurityReports(log, request.body);
 */
export function logSecurityReports(log: Logger, body: unknown): number {
  const entries: unknown[] = Array.isArray(body)
    ? body
    : body && typeof body === 'object' && 'csp-report' in body
      ? [{ type: 'csp-violation', body: (body as Record<string, unknown>)['csp-report'] }]
      : body && typeof body === 'object' && 'type' in body
        ? // One Reporting API report alone, as WebKit sends it.
          [body]
        : [];
  let logged = 0;
  for (const entry of entries.slice(0, MAX_REPORTS)) {
    if (!entry || typeof entry !== 'object') continue;
    const report = entry as Record<string, unknown>;
    const details = (report.body && typeof report.body === 'object' ? report.body : {}) as Record<
      string,
      unknown
    >;
    log.warn(
      {
        event: 'security_report',
        type: text(report.type, 64) ?? 'unknown',
        url: bare(report.url ?? details.documentURL ?? details['document-uri']),
        blocked: bare(details.blockedURL ?? details['blocked-uri']),
        directive: text(
          details.effectiveDirective ?? details['effective-directive'] ?? details.destination,
          64,
        ),
        // CSP reports name it; Integrity-Policy reports (Chromium) say `reportOnly: true | false` instead.
        disposition: text(
          details.disposition ??
            (typeof details.reportOnly === 'boolean'
              ? details.reportOnly
                ? 'report'
                : 'enforce'
              : undefined),
          16,
        ),
      },
      'browser security report',
    );
    logged++;
  }
  return logged;
}
