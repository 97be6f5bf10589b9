import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { Clock } from '../clock.js';
import { type Random, toBase64URL } from '../crypto/random.js';
import type { Sealer } from '../crypto/seal.js';
import type { DB } from '../storage/database.js';

/** RFC 7518 §3.3; OIDC Registration §2: the id_token algorithm a relying party gets by default. */
export const ID_TOKEN_RSA_ALG = 'RS256';

export interface RSAPublicJWK {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

const location = (kid: string) => ({ table: 'id_token_keys', column: 'private_jwk_sealed', row: kid });

interface Loaded {
  kid: string;
  published: RSAPublicJWK[];
  privateKey: CryptoKey;
}

/**
 * The RSA key that signs id_tokens for relying parties that only verify RS256 (the OIDC default).
 * Access tokens and scoped tokens never use it: they are EdDSA under the KeyRing. Made on first
 * use (RSA key generation is slow), sealed at rest like the Ed25519 keys; when two processes make
 * one at once, both keep and publish both, and every process signs with the oldest.
 */
export class IdTokenKeys {
  private loading: Promise<Loaded> | null = null;

  constructor(private readonly options: { db: DB; sealer: Sealer; clock: Clock; random: Random }) {}

  async publicKeys(): Promise<RSAPublicJWK[]> {
    return (await this.load()).published;
  }

  async sign(claims: JWTPayload): Promise<string> {
    const { kid, privateKey } = await this.load();
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ID_TOKEN_RSA_ALG, kid, typ: 'JWT' })
      .sign(privateKey);
  }

  private load(): Promise<Loaded> {
    // Single-flight, and kept once loaded: the key never rotates by itself.
    this.loading ??= this.read().catch((error: unknown) => {
      this.loading = null;
      throw error;
    });
    return this.loading;
  }

  private async read(): Promise<Loaded> {
    let rows = await this.rows();
    if (rows.length === 0) {
      await this.create();
      rows = await this.rows();
    }
    const oldest = rows[0]!;
    const jwk = JSON.parse(this.options.sealer.open(oldest.private_jwk_sealed, location(oldest.kid))) as JWK;
    return {
      kid: oldest.kid,
      published: rows.map((row) => JSON.parse(row.public_jwk) as RSAPublicJWK),
      privateKey: (await importJWK(jwk, ID_TOKEN_RSA_ALG)) as CryptoKey,
    };
  }

  private rows() {
    return this.options.db
      .selectFrom('id_token_keys')
      .selectAll()
      .orderBy('created_at', 'asc')
      .orderBy('kid', 'asc')
      .execute();
  }

  private async create(): Promise<void> {
    const kid = toBase64URL(this.options.random.bytes(12));
    const { publicKey, privateKey } = await generateKeyPair(ID_TOKEN_RSA_ALG, {
      modulusLength: 2048,
      extractable: true,
    });
    const publicJWK = await exportJWK(publicKey);
    await this.options.db
      .insertInto('id_token_keys')
      .values({
        kid,
        alg: ID_TOKEN_RSA_ALG,
        public_jwk: JSON.stringify({
          kty: 'RSA',
          n: publicJWK.n,
          e: publicJWK.e,
          kid,
          alg: ID_TOKEN_RSA_ALG,
          use: 'sig',
        }),
        private_jwk_sealed: this.options.sealer.seal(
          JSON.stringify(await exportJWK(privateKey)),
          location(kid),
        ),
        created_at: this.options.clock.now(),
      })
      .execute();
  }
}
