/**
 * Chromium's Reporting API delivers queued reports after about a minute; this flag makes it about 100 ms, so a
 * test can wait for a report the browser sends by itself (`launchChromium([SHORT_REPORTING_DELAY])`).
 */
export const SHORT_REPORTING_DELAY = '--short-reporting-delay';
