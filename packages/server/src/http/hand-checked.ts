import { z } from 'zod';

/**
 * A request body whose `fields` the handler checks itself, so a missing or malformed email answers
 * MISSING_EMAIL or INVALID_EMAIL (and a code MISSING_CODE, a password WEAK_PASSWORD) rather than the
 * route table's generic VALIDATION_FAILED. Those fields accept any value here; the other fields keep
 * the contract's checks; and the OpenAPI document shows the contract itself, so it describes what a
 * client sends rather than `{}`.
 */
export function handChecked<Shape extends z.ZodRawShape, Field extends keyof Shape & string>(
  contract: z.ZodObject<Shape>,
  fields: readonly Field[],
) {
  const lenient = Object.fromEntries(fields.map((field) => [field, z.unknown().optional()])) as {
    [K in Field]: z.ZodOptional<z.ZodUnknown>;
  };
  // zod copies a schema's metadata over its generated JSON Schema, so the document keeps the
  // contract's properties and `required` list while parsing stays lenient.
  const { $schema: _ignored, ...described } = z.toJSONSchema(contract, { io: 'input' });
  return contract.extend(lenient).meta(described);
}
