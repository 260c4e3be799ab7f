import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * The validator compiler of the BFF's routes: TypeBox's compiled checks, exactly as the schemas say, whatever
 * validator the host Fastify is configured with (its default Ajv silently removes unknown fields where a
 * schema refuses them, and coerces types). A failure is a 400 whose message names the part and the first
 * problem: `body/events must be array`.
 */
export const typeboxValidator: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  return (data: unknown) => {
    if (validator.Check(data)) return true;
    // `additionalProperties: false` also reports each refused field as a `boolean` schema: name the rule.
    const errors = validator.Errors(data);
    const first = errors.find((error) => error.keyword !== 'boolean') ?? errors[0];
    const where = `${httpPart ?? 'request'}${first?.instancePath ?? ''}`;
    return { error: new Error(`${where} ${first?.message ?? 'is not valid'}`) };
  };
};
