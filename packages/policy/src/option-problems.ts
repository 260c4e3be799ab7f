/** One error of a JSON Schema check (TypeBox's `Value.Errors`): as much of it as the wording needs. */
export interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message: string;
  readonly params?: unknown;
}

function describe(error: SchemaError): string {
  const where = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'options';
  const extra = (error.params as { additionalProperties?: string[] } | undefined)?.additionalProperties;
  return extra ? `${where}: unknown option(s) ${extra.join(', ')}` : `${where}: ${error.message}`;
}

/**
 * The problems a check of options against their schema found, worded the same by the BFF and the API:
 * `upstreams.orders.url: must match pattern …`, `options: unknown option(s) colour, size`. The `boolean`
 * errors (`schema is false`, one for each unknown option) are left out: the `additionalProperties` error
 * beside them names them all.
 *
 * @example
 * const problems = optionProblems(Value.Errors(OptionsSchema, options));
 */
export function optionProblems(errors: Iterable<SchemaError>): string[] {
  return [...errors].filter((error) => error.keyword !== 'boolean').map(describe);
}
