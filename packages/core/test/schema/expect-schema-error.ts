import { expect } from 'vitest';
import { SchemaError, type SchemaErrorCode } from '../../src/schema/schema-error.js';

/** Runs `action`, asserts it throws a SchemaError with `code`, and returns the error for more checks. */
export function catchSchemaError(action: () => unknown, code: SchemaErrorCode): SchemaError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaError);
    const schemaError = error as SchemaError;
    expect(schemaError.code, schemaError.message).toBe(code);
    return schemaError;
  }
  throw new Error(`expected a SchemaError with code ${code}, but nothing was thrown`);
}
