import { z } from 'zod';

// The push and diff bodies are prepared schema files, checked by verifyPreparedSchema (its own
// codes), so they have no request schema here.

export const SchemaDiffBody = z.object({
  kind: z.enum(['additive', 'destructive']),
  changes: z.array(z.record(z.string(), z.unknown())),
});
export type SchemaDiffBody = z.infer<typeof SchemaDiffBody>;

/** Additive pushes become current; destructive ones wait for approval (with `current_version` and `diff`). */
export const SchemaPushResponse = z.object({
  status: z.enum(['accepted', 'pending_approval']),
  version: z.number(),
  current_version: z.number().nullable().optional(),
  diff: SchemaDiffBody.optional(),
});
export type SchemaPushResponse = z.infer<typeof SchemaPushResponse>;

export const SchemaDiffResponse = z.object({
  current_version: z.number().nullable(),
  would: z.enum(['accepted', 'pending_approval']),
  diff: SchemaDiffBody,
});
export type SchemaDiffResponse = z.infer<typeof SchemaDiffResponse>;

export const SchemaVersions = z.object({
  versions: z.array(z.record(z.string(), z.unknown())),
  current_version: z.number().nullable(),
  pending_version: z.number().nullable(),
});
export type SchemaVersions = z.infer<typeof SchemaVersions>;

/** The version serving tokens now: its summary with its capabilities and archetypes. */
export const CurrentSchema = z.record(z.string(), z.unknown());
export type CurrentSchema = z.infer<typeof CurrentSchema>;

export const ApproveMigrationRequest = z.object({ version: z.number().int().positive() });
export type ApproveMigrationRequest = z.infer<typeof ApproveMigrationRequest>;
export const ApproveMigrationResponse = z.object({
  status: z.literal('approved'),
  version: z.number(),
  roles_migrated: z.number(),
});
export type ApproveMigrationResponse = z.infer<typeof ApproveMigrationResponse>;
export const WithdrawPendingResponse = z.object({
  status: z.literal('withdrawn'),
  version: z.number(),
  current_version: z.number().nullable(),
});
export type WithdrawPendingResponse = z.infer<typeof WithdrawPendingResponse>;
