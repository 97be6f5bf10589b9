import type { Kysely, Migration, MigrationProvider } from 'kysely';
import * as platform from './0001-platform.js';
import * as identity from './0002-identity.js';
import * as oauth from './0003-oauth.js';
import * as orgs from './0004-orgs.js';
import * as rbac from './0005-rbac.js';
import * as mfaKeys from './0006-mfa-keys.js';
import * as device from './0007-device.js';
import * as rateLimitGCRA from './0008-rate-limit-gcra.js';
import * as auditShape from './0009-audit-shape.js';
import * as sso from './0010-sso.js';
import * as samlReplay from './0011-saml-replay.js';
import * as passkeys from './0012-passkeys.js';
import * as trustedDevices from './0013-trusted-devices.js';
import * as account from './0014-account.js';
import * as oauthLink from './0015-oauth-link.js';
import * as auditPersonIndexes from './0016-audit-person-indexes.js';
import * as capabilityVersions from './0017-capability-versions.js';
import * as oauthServer from './0018-oauth-server.js';
import * as auditChain from './0019-audit-chain.js';
import * as refreshTokenExpiry from './0020-refresh-token-expiry.js';
import * as refreshTokenUser from './0021-refresh-token-user.js';
import * as deviceRequester from './0022-device-requester.js';
import * as shownOnce from './0023-shown-once.js';
import * as consentPrompts from './0024-consent-prompts.js';
import * as userLastDisabled from './0025-user-last-disabled.js';

export type Dialect = 'sqlite' | 'postgres';

export interface MigrationContext {
  dialect: Dialect;
}

interface VersionedMigration {
  up(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
  down?(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
}

/**
 * Every migration, in order. Names sort lexically (Kysely applies them in name order); a new
 * migration gets the next number and is never edited once released.
 */
const MIGRATIONS: Record<string, VersionedMigration> = {
  '0001-platform': platform,
  '0002-identity': identity,
  '0003-oauth': oauth,
  '0004-orgs': orgs,
  '0005-rbac': rbac,
  '0006-mfa-keys': mfaKeys,
  '0007-device': device,
  '0008-rate-limit-gcra': rateLimitGCRA,
  '0009-audit-shape': auditShape,
  '0010-sso': sso,
  '0011-saml-replay': samlReplay,
  '0012-passkeys': passkeys,
  '0013-trusted-devices': trustedDevices,
  '0014-account': account,
  '0015-oauth-link': oauthLink,
  '0016-audit-person-indexes': auditPersonIndexes,
  '0019-audit-chain': auditChain,
  '0017-capability-versions': capabilityVersions,
  '0018-oauth-server': oauthServer,
  '0020-refresh-token-expiry': refreshTokenExpiry,
  '0021-refresh-token-user': refreshTokenUser,
  '0022-device-requester': deviceRequester,
  '0023-shown-once': shownOnce,
  '0024-consent-prompts': consentPrompts,
  '0025-user-last-disabled': userLastDisabled,
};

/** Every migration's name, in the order they apply. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS).sort();

/**
 * The recorded migrations this build does not have: a newer Pylon set up or upgraded the database
 * (or the backup), and this build would misread its schema.
 */
export function unknownMigrations(applied: readonly string[]): string[] {
  return applied.filter((name) => !MIGRATION_NAMES.includes(name));
}

/** The one line start-up, `migrate` and `restore` print for a database a newer Pylon migrated. */
export function fromNewerPylon(what: string, unknown: readonly string[], remedy: string): string {
  return `${what} is from a newer Pylon (migrations ${unknown.join(', ')}): ${remedy}`;
}

export class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly context: MigrationContext) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const entries = Object.entries(MIGRATIONS).map(([name, migration]): [string, Migration] => [
      name,
      {
        up: (db) => migration.up(db, this.context),
        down: migration.down ? (db) => migration.down!(db, this.context) : undefined,
      },
    ]);
    return Object.fromEntries(entries);
  }
}
