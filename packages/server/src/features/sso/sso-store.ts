import { PylonError } from '@pylon/core';
import type { SSOAllowedDomain } from '../../config/config.js';
import { type Random, toBase64URL } from '../../crypto/random.js';
import type { Sealer } from '../../crypto/seal.js';
import { hashToken } from '../../crypto/tokens.js';
import { createFlowBinding } from '../../http/flow-binding.js';
import { sha256Base64URL } from '../../platform/node-crypto.js';
import type { DB } from '../../storage/database.js';
import type { SSOKind } from '../../storage/schema.js';
import { isDomainAllowedFor, requireClaimableDomains, type SSODefaultRole } from './sso-rules.js';

export type { SSOKind };

/** An org's OIDC connection. `discovery` is the IdP's metadata as fetched when it was saved. */
export interface OIDCConnection {
  orgId: string;
  issuerURL: string;
  clientId: string;
  defaultRole: SSODefaultRole;
  emailDomains: string[];
  discovery: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface SAMLConnection {
  orgId: string;
  idpEntityId: string;
  idpSSOURL: string;
  idpCertPEM: string;
  defaultRole: SSODefaultRole;
  emailDomains: string[];
  emailAttribute: string | null;
  nameAttribute: string | null;
}

export interface PutOIDCInput {
  orgId: string;
  issuerURL: string;
  clientId: string;
  clientSecret: string;
  defaultRole: SSODefaultRole;
  /** Already checked by checkEmailDomains (sso-rules.ts). */
  emailDomains: string[];
  discovery: Record<string, unknown>;
}

export interface PendingSSOSignIn {
  state: string;
  /** For the browser's flow cookie (http/flow-binding.ts). */
  binding: string;
  nonce: string;
  codeChallenge: string;
}

export interface ConsumedSSOState {
  codeVerifier: string;
  nonce: string;
  callback: string;
  errorCallback: string;
}

const secretLocation = (orgId: string) => ({
  table: 'sso_connections',
  column: 'client_secret_sealed',
  row: `${orgId}:oidc`,
});

const verifierLocation = (stateHash: string) => ({
  table: 'sso_states',
  column: 'code_verifier_sealed',
  row: stateHash,
});

function parseDomains(json: string): string[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * Per-org SSO connections, the deployment-wide domain claims and pending OIDC sign-ins: the one
 * store of the `sso_*` tables. A domain belongs to one org (the `sso_domains` primary key decides
 * a race between two orgs); one org may list it on both its OIDC and SAML connections. A claim
 * counts only while PYLON_SSO_ALLOWED_DOMAINS (`allowedDomains`) allows it for its org.
 */
export class SSOStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
    private readonly sealer: Sealer,
    private readonly allowedDomains: readonly SSOAllowedDomain[] | null,
  ) {}

  async putOIDC(input: PutOIDCInput, now: number): Promise<void> {
    let sealed: string;
    try {
      sealed = this.sealer.seal(input.clientSecret, secretLocation(input.orgId));
    } catch (cause) {
      throw new PylonError('SSO_SECRET_SEAL_FAILED', { cause });
    }
    await this.put(
      input.orgId,
      'oidc',
      input.emailDomains,
      {
        issuer_url: input.issuerURL,
        client_id: input.clientId,
        client_secret_sealed: sealed,
        discovery_json: JSON.stringify(input.discovery),
        idp_entity_id: null,
        idp_sso_url: null,
        idp_cert_pem: null,
        email_attribute: null,
        name_attribute: null,
        default_role: input.defaultRole,
      },
      now,
    );
  }

  async putSAML(input: SAMLConnection, now: number): Promise<void> {
    await this.put(
      input.orgId,
      'saml',
      input.emailDomains,
      {
        issuer_url: null,
        client_id: null,
        client_secret_sealed: null,
        discovery_json: null,
        idp_entity_id: input.idpEntityId,
        idp_sso_url: input.idpSSOURL,
        idp_cert_pem: input.idpCertPEM,
        email_attribute: input.emailAttribute,
        name_attribute: input.nameAttribute,
        default_role: input.defaultRole,
      },
      now,
    );
  }

  async getOIDC(orgId: string): Promise<OIDCConnection | null> {
    const row = await this.db
      .selectFrom('sso_connections')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('kind', '=', 'oidc')
      .executeTakeFirst();
    if (!row || row.issuer_url === null || row.client_id === null) return null;
    return {
      orgId,
      issuerURL: row.issuer_url,
      clientId: row.client_id,
      defaultRole: row.default_role,
      emailDomains: parseDomains(row.email_domains),
      discovery: JSON.parse(row.discovery_json ?? '{}') as Record<string, unknown>,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }

  /** The OIDC client secret, opened only for the token exchange. */
  async openClientSecret(orgId: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('sso_connections')
      .select('client_secret_sealed')
      .where('org_id', '=', orgId)
      .where('kind', '=', 'oidc')
      .executeTakeFirst();
    if (!row?.client_secret_sealed) return null;
    return this.sealer.open(row.client_secret_sealed, secretLocation(orgId));
  }

  async getSAML(orgId: string): Promise<SAMLConnection | null> {
    const row = await this.db
      .selectFrom('sso_connections')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('kind', '=', 'saml')
      .executeTakeFirst();
    if (!row || row.idp_entity_id === null || row.idp_sso_url === null || row.idp_cert_pem === null) {
      return null;
    }
    return {
      orgId,
      idpEntityId: row.idp_entity_id,
      idpSSOURL: row.idp_sso_url,
      idpCertPEM: row.idp_cert_pem,
      defaultRole: row.default_role,
      emailDomains: parseDomains(row.email_domains),
      emailAttribute: row.email_attribute,
      nameAttribute: row.name_attribute,
    };
  }

  /** Remove the org's connection of this kind and the domain claims only it held; false when there was none. */
  async remove(orgId: string, kind: SSOKind): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const removed = await trx
        .deleteFrom('sso_connections')
        .where('org_id', '=', orgId)
        .where('kind', '=', kind)
        .executeTakeFirst();
      if (Number(removed.numDeletedRows) === 0) return false;
      await this.releaseDomains(trx, orgId, await this.otherKindDomains(trx, orgId, kind));
      return true;
    });
  }

  /**
   * The domains orgs claimed that the operator's list does not allow them (so they count for
   * nothing: no address in them is taken, discovery routes none), by org: what an upgrade or a
   * changed PYLON_SSO_ALLOWED_DOMAINS left behind.
   */
  async disallowedClaims(): Promise<{ orgId: string; domain: string }[]> {
    if (this.allowedDomains === null) return [];
    const claims = await this.db
      .selectFrom('sso_domains')
      .select(['org_id', 'domain'])
      .orderBy('org_id')
      .orderBy('domain')
      .execute();
    return claims
      .filter((claim) => !isDomainAllowedFor(this.allowedDomains, claim.org_id, claim.domain))
      .map((claim) => ({ orgId: claim.org_id, domain: claim.domain }));
  }

  /**
   * Which org and protocol sign in people of this email domain. OIDC wins when the org lists the
   * domain on both its connections. A claim the operator's list no longer allows routes nowhere.
   */
  async discover(domain: string): Promise<{ orgId: string; kind: SSOKind } | null> {
    const claim = await this.db
      .selectFrom('sso_domains')
      .select('org_id')
      .where('domain', '=', domain)
      .executeTakeFirst();
    if (!claim || !isDomainAllowedFor(this.allowedDomains, claim.org_id, domain)) return null;
    const rows = await this.db
      .selectFrom('sso_connections')
      .select(['kind', 'email_domains'])
      .where('org_id', '=', claim.org_id)
      .execute();
    for (const kind of ['oidc', 'saml'] as const) {
      const row = rows.find((candidate) => candidate.kind === kind);
      if (row && parseDomains(row.email_domains).includes(domain)) return { orgId: claim.org_id, kind };
    }
    return null;
  }

  /**
   * A pending OIDC sign-in for this org: the state is the hash of the binding the browser keeps
   * in its flow cookie, stored only as its own hash; the PKCE verifier (RFC 7636 §4.1) is sealed.
   */
  async createState(input: {
    orgId: string;
    callback: string;
    errorCallback: string;
    now: number;
    ttlSeconds: number;
  }): Promise<PendingSSOSignIn> {
    const { state, binding } = createFlowBinding(this.random);
    const nonce = toBase64URL(this.random.bytes(32));
    const codeVerifier = toBase64URL(this.random.bytes(32));
    const stateHash = hashToken(state);
    await this.db.deleteFrom('sso_states').where('expires_at', '<=', input.now).execute();
    await this.db
      .insertInto('sso_states')
      .values({
        state_hash: stateHash,
        org_id: input.orgId,
        code_verifier_sealed: this.sealer.seal(codeVerifier, verifierLocation(stateHash)),
        nonce,
        callback: input.callback,
        error_callback: input.errorCallback,
        created_at: input.now,
        expires_at: input.now + input.ttlSeconds * 1000,
      })
      .execute();
    // RFC 7636 §4.2: S256 challenge = BASE64URL(SHA256(ASCII(code_verifier))).
    return { state, binding, nonce, codeChallenge: sha256Base64URL(codeVerifier) };
  }

  /** The pending sign-in, consumed by one DELETE … RETURNING; null if unknown, used, expired or another org's. */
  async consumeState(orgId: string, state: string, now: number): Promise<ConsumedSSOState | null> {
    const stateHash = hashToken(state);
    const row = await this.db
      .deleteFrom('sso_states')
      .where('state_hash', '=', stateHash)
      .where('org_id', '=', orgId)
      .where('expires_at', '>', now)
      .returning(['code_verifier_sealed', 'nonce', 'callback', 'error_callback'])
      .executeTakeFirst();
    if (!row) return null;
    return {
      codeVerifier: this.sealer.open(row.code_verifier_sealed, verifierLocation(stateHash)),
      nonce: row.nonce,
      callback: row.callback,
      errorCallback: row.error_callback,
    };
  }

  private async put(
    orgId: string,
    kind: SSOKind,
    domains: string[],
    columns: {
      issuer_url: string | null;
      client_id: string | null;
      client_secret_sealed: string | null;
      discovery_json: string | null;
      idp_entity_id: string | null;
      idp_sso_url: string | null;
      idp_cert_pem: string | null;
      email_attribute: string | null;
      name_attribute: string | null;
      default_role: SSODefaultRole;
    },
    now: number,
  ): Promise<void> {
    requireClaimableDomains(this.allowedDomains, orgId, domains);
    await this.db.transaction().execute(async (trx) => {
      const keep = await this.otherKindDomains(trx, orgId, kind);
      await this.claimDomains(trx, orgId, domains, now);
      await this.releaseDomains(trx, orgId, [...keep, ...domains]);
      const emailDomains = JSON.stringify(domains);
      await trx
        .insertInto('sso_connections')
        .values({
          org_id: orgId,
          kind,
          ...columns,
          email_domains: emailDomains,
          created_at: now,
          updated_at: now,
        })
        .onConflict((conflict) =>
          conflict
            .columns(['org_id', 'kind'])
            .doUpdateSet({ ...columns, email_domains: emailDomains, updated_at: now }),
        )
        .execute();
    });
  }

  /**
   * Claim each domain for the org. The insert skips domains already claimed; a concurrent claim
   * by another org waits on the primary key until that transaction ends, so the read that follows
   * sees every winner and the loser gets DOMAIN_ALREADY_CLAIMED.
   */
  private async claimDomains(trx: DB, orgId: string, domains: string[], now: number): Promise<void> {
    if (domains.length === 0) return;
    await trx
      .insertInto('sso_domains')
      .values(domains.map((domain) => ({ domain, org_id: orgId, created_at: now })))
      .onConflict((conflict) => conflict.column('domain').doNothing())
      .execute();
    const taken = await trx
      .selectFrom('sso_domains')
      .select('domain')
      .where('domain', 'in', domains)
      .where('org_id', '!=', orgId)
      .orderBy('domain')
      .executeTakeFirst();
    if (taken) {
      throw new PylonError('DOMAIN_ALREADY_CLAIMED', {
        message: `${taken.domain} is already claimed for SSO by another org`,
      });
    }
  }

  /** Drop the org's claims on domains no longer listed by any of its connections. */
  private async releaseDomains(trx: DB, orgId: string, stillListed: string[]): Promise<void> {
    let query = trx.deleteFrom('sso_domains').where('org_id', '=', orgId);
    if (stillListed.length > 0) query = query.where('domain', 'not in', stillListed);
    await query.execute();
  }

  private async otherKindDomains(trx: DB, orgId: string, kind: SSOKind): Promise<string[]> {
    const other = await trx
      .selectFrom('sso_connections')
      .select('email_domains')
      .where('org_id', '=', orgId)
      .where('kind', '=', kind === 'oidc' ? 'saml' : 'oidc')
      .executeTakeFirst();
    return other ? parseDomains(other.email_domains) : [];
  }
}
