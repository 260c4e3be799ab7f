import type { preValidationAsyncHookHandler } from 'fastify';
import * as T from 'typebox';
import { ApiError } from './errors.js';

type JsonSchema = Readonly<Record<string, unknown>>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function refusedField(
  value: unknown,
  schema: unknown,
  path: string,
  protectedFields: ReadonlySet<string>,
): string | undefined {
  if (!isPlainObject(schema)) return undefined;
  const s = schema as JsonSchema;
  if (isPlainObject(value) && isPlainObject(s.properties)) {
    const properties = s.properties as Record<string, unknown>;
    const closed = s.additionalProperties === false;
    for (const key of Object.keys(value)) {
      const where = path ? `${path}.${key}` : key;
      if (Object.hasOwn(properties, key)) {
        const inner = refusedField(value[key], properties[key], where, protectedFields);
        if (inner) return inner;
      } else if (closed || protectedFields.has(key)) {
        return where;
      }
    }
  }
  if (Array.isArray(value) && isPlainObject(s.items)) {
    for (const [index, item] of value.entries()) {
      const inner = refusedField(item, s.items, `${path}[${index}]`, protectedFields);
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * A `preValidation` hook that refuses a body holding a field its schema does not declare: any field where the
 * schema says `additionalProperties: false`, and the protected fields (`roles`, `id`, `tenantId`, `ownerId`,
 * ...) everywhere the schema lists properties. The 400 names the field. Fastify's default Ajv setup would
 * otherwise drop unknown fields silently (`removeAdditional: true`), hiding a client's attempt; the plugin
 * installs this hook on every route with a body schema.
 *
 * @example
 * app.patch('/profile', { schema: { body: ProfilePatch }, preValidation: refuseUnknownFields(ProfilePatch, ['roles']) }, handler);
 */
export function refuseUnknownFields(
  schema: unknown,
  protectedFields: readonly string[] = [],
): preValidationAsyncHookHandler {
  const guarded = new Set(protectedFields);
  return async (request) => {
    const field = refusedField(request.body, schema, '', guarded);
    if (field !== undefined) {
      throw new ApiError('GH_API_FIELD_REFUSED', `body field "${field}" refused`, {
        detail: `The field "${field.slice(0, 128)}" cannot be set by this request.`,
      });
    }
  };
}

/**
 * A TypeBox object schema that refuses unknown fields (`additionalProperties: false`): the shape of every
 * writable body.
 *
 * @example
 * const ProfilePatch = strictObject({ displayName: T.Optional(T.String({ minLength: 1, maxLength: 80 })) });
 */
export function strictObject<P extends T.TProperties>(
  properties: P,
  options: T.TObjectOptions = {},
): T.TObject<P> {
  return T.Object(properties, { ...options, additionalProperties: false });
}
