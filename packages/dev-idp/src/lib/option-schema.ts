import * as T from 'typebox';
import Value from 'typebox/value';

/** Pattern of a text option: no control characters (length limits are the schema's). */
export const TEXT_PATTERN = '^[^\\x00-\\x1f\\x7f]*$';
/** Pattern of a space-separated list of OAuth scope tokens (RFC 6749 §3.3). */
export const SCOPE_PATTERN = '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*$';

/** Non-empty text of at most `maxLength` characters, without control characters. */
export const Text = (maxLength = 256) => T.String({ minLength: 1, maxLength, pattern: TEXT_PATTERN });

/** What a failed `pattern` means, in words, for the patterns above. */
const PATTERN_MEANING: Record<string, string> = {
  [TEXT_PATTERN]: 'must not contain control characters',
  [SCOPE_PATTERN]: 'must be space-separated scope tokens',
};

/** `/clients/0/redirect_uris/1` → `clients[0].redirect_uris[1]`, the way the options are written. */
export function optionPath(pointer: string): string {
  let path = '';
  for (const segment of pointer.split('/').slice(1)) {
    path += /^\d+$/.test(segment) ? `[${segment}]` : path === '' ? segment : `.${segment}`;
  }
  return path;
}

interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message: string;
  readonly params: unknown;
}

/** Why an option is required, by its name, added to the problem when it is missing. */
export type RequiredHints = Readonly<Record<string, string>>;

/**
 * One line per problem: an unknown key is `<path>.<key>: unknown option`, a missing one `<path>.<key>:
 * required`, the rest says what was expected.
 */
function describe(error: SchemaError, hints: RequiredHints): string[] {
  const where = optionPath(error.instancePath);
  const params = error.params as {
    additionalProperties?: string[];
    requiredProperties?: string[];
    allowedValues?: unknown[];
    pattern?: string;
  };
  const inside = (key: string) => `${where === '' ? '' : `${where}.`}${key}`;
  if (error.keyword === 'additionalProperties') {
    return (params.additionalProperties ?? []).map((key) => `${inside(key)}: unknown option`);
  }
  if (error.keyword === 'required') {
    return (params.requiredProperties ?? []).map(
      (key) => `${inside(key)}: required${hints[key] ? ` (${hints[key]})` : ''}`,
    );
  }
  const what = where === '' ? 'options' : where;
  if (error.keyword === 'enum') {
    return [
      `${what}: must be one of ${(params.allowedValues ?? []).map((v) => `'${String(v)}'`).join(', ')}`,
    ];
  }
  if (error.keyword === 'pattern' && params.pattern && PATTERN_MEANING[params.pattern]) {
    return [`${what}: ${PATTERN_MEANING[params.pattern]}`];
  }
  return [`${what}: ${error.message}`];
}

/**
 * Fills the schema's defaults into a copy of `input` and lists every way it breaks the schema, one line per
 * problem. The input itself is never changed.
 */
export function checkSchema<S extends T.TObject>(
  schema: S,
  input: Record<string, unknown>,
  hints: RequiredHints = {},
): { readonly value: Record<string, unknown>; readonly problems: string[] } {
  const value = Value.Default(schema, Value.Clone(input)) as Record<string, unknown>;
  const problems = [...Value.Errors(schema, value)]
    // Each unknown key also fails the `false` schema of additional properties: reported once, above.
    .filter((error) => error.keyword !== 'boolean')
    .flatMap((error) => describe(error, hints));
  return { value, problems };
}

/** A plain object (not null, not an array). */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True for an absolute http(s) URL without fragment or credentials. */
export function isPlainHttpUrl(value: string, { query = true } = {}): boolean {
  const url = URL.parse(value);
  return (
    url !== null &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    !url.hash &&
    !url.username &&
    !url.password &&
    (query || !url.search)
  );
}

/** The values that appear more than once, each once. */
export function duplicates(values: readonly unknown[]): unknown[] {
  return [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];
}

/** Freezes `value` and everything it holds. */
export function deepFreeze<V>(value: V): V {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
