import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Paths pino redacts in every log line: credentials in headers, token fields, secrets (docs/security-requirements.md#i48).
 * The BFF also never puts them in log calls; this is the second line of defence.
 */
export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.logout_token',
  '*.accessToken',
  '*.refreshToken',
  '*.idToken',
  '*.client_secret',
  '*.clientSecret',
  '*.sessionSecrets',
  '*.password',
  '*.tokens',
  'err.cause.cause',
];

/**
 * The BFF's pino logger: JSON lines with UTC ISO timestamps and redaction. CR/LF in values are escaped by
 * JSON encoding, so one event is always one line (docs/security-requirements.md#i50).
 *
 * @example
 * const log = createLogger('info');
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'gatehouse-bff' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
