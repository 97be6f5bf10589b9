import type { Random } from '../../crypto/random.js';
import { generatePrefixedToken, hashToken } from '../../crypto/tokens.js';
import type { DB } from '../../storage/database.js';
import type { OAuthClientsTable } from '../../storage/oauth-server-tables.js';

/** A client the deployment stores: registered by an org admin, or by RFC 7591. */
export interface StoredClient {
  clientId: string;
  orgId: string;
  clientName: string;
  redirectURIs: string[];
  /** SHA-256 of the secret; null for a public client (PKCE only). */
  secretHash: string | null;
  origin: OAuthClientsTable['origin'];
  idTokenAlg: OAuthClientsTable['id_token_alg'];
  createdAt: number;
}

function toClient(row: OAuthClientsTable): StoredClient {
  return {
    clientId: row.client_id,
    orgId: row.org_id,
    clientName: row.client_name,
    redirectURIs: JSON.parse(row.redirect_uris) as string[],
    secretHash: row.secret_hash,
    origin: row.origin,
    idTokenAlg: row.id_token_alg,
    createdAt: Number(row.created_at),
  };
}

/** Stored OAuth clients of an org. A confidential client's secret is shown once and kept hashed. */
export class ClientStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
  ) {}

  async create(input: {
    orgId: string;
    clientName: string;
    redirectURIs: string[];
    confidential: boolean;
    origin: OAuthClientsTable['origin'];
    idTokenAlg?: OAuthClientsTable['id_token_alg'];
    now: number;
  }): Promise<{ client: StoredClient; secret: string | null }> {
    const clientId = generatePrefixedToken(this.random, 'pyc_', 16);
    const secret = input.confidential ? generatePrefixedToken(this.random, 'pycs_', 32) : null;
    const row: OAuthClientsTable = {
      client_id: clientId,
      org_id: input.orgId,
      client_name: input.clientName,
      redirect_uris: JSON.stringify(input.redirectURIs),
      secret_hash: secret === null ? null : hashToken(secret),
      origin: input.origin,
      id_token_alg: input.idTokenAlg ?? 'RS256',
      created_at: input.now,
    };
    await this.db.insertInto('oauth_clients').values(row).execute();
    return { client: toClient(row), secret };
  }

  async find(orgId: string, clientId: string): Promise<StoredClient | null> {
    const row = await this.db
      .selectFrom('oauth_clients')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return row ? toClient(row) : null;
  }

  async list(orgId: string): Promise<StoredClient[]> {
    const rows = await this.db
      .selectFrom('oauth_clients')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('created_at', 'asc')
      .orderBy('client_id', 'asc')
      .execute();
    return rows.map(toClient);
  }

  async remove(orgId: string, clientId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('oauth_clients')
      .where('client_id', '=', clientId)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
