import { isValidEmail } from '@pylon/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { HTTPClient } from '../net/http-client.js';
import { isOrgId } from '../org/org-id.js';
import type { OrgSelector } from '../org/resolve-org.js';
import type { Session } from '../session/session-vault.js';
import type { CommandContext } from './context.js';

/**
 * What the org, member, invite and user commands share: they call the identity surface
 * (`/api/auth/*`) at the deployment's root with the session of the org `--org`/`--org-url` picks.
 */
export interface IdentityOptions extends OrgSelector {
  json?: boolean;
}

/** The identity surface's client and the session to call it with. */
export async function connectIdentity(
  context: CommandContext,
  options: OrgSelector,
): Promise<{ client: HTTPClient; session: Session }> {
  const org = await context.resolveOrg(options);
  const session = await context.requireSession(org);
  return { client: context.identityClient(org), session };
}

/** `/api/auth/*` times are seconds since the epoch. */
export function formatSeconds(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '';
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An org id goes into a URL path: only a slug is accepted (exit 2 otherwise). */
export function parseOrgId(value: string): string {
  if (!isOrgId(value)) {
    throw new InvalidArgumentError('an org id: lowercase letters, digits and dashes, e.g. acme');
  }
  return value;
}

export function parseEmail(value: string): string {
  if (!isValidEmail(value)) throw new InvalidArgumentError('an email address');
  return value;
}

export const ORG_ROLES = ['owner', 'admin', 'member'] as const;

export function roleOption(description: string, fallback?: string): Option {
  const option = new Option('--role <role>', description).choices(ORG_ROLES);
  if (fallback === undefined) return option.makeOptionMandatory();
  return option.default(fallback);
}

/** `--org-id <id>`: the org a member or invite command works on (not the one it connects through). */
export function withOrgIdOption(command: Command): Command {
  return command.requiredOption('--org-id <id>', 'the org to work on', parseOrgId);
}

/** A path segment from the command line, escaped so it stays one segment. */
export const segment = (value: string): string => encodeURIComponent(value);
