import { exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { type Awaitable, thenNow } from '../awaitable.js';
import type { Clock } from '../clock.js';
import { DEFAULTS } from '../config/defaults.js';
import { type Random, toBase64URL } from '../crypto/random.js';
import type { Sealer } from '../crypto/seal.js';
import { type Ed25519PrivateJWK, ed25519Signer } from '../platform/ed25519.js';
import type { DB } from '../storage/database.js';
import type { SigningKeysTable } from '../storage/schema.js';
import { type KeySchedulePolicy, scheduleKeys } from './key-schedule.js';

export const SIGNING_ALG = 'EdDSA';

export interface PublicJWK {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface KeyRingOptions {
  db: DB;
  sealer: Sealer;
  clock: Clock;
  random: Random;
  policy: KeySchedulePolicy;
  /** How long the in-memory view is trusted before re-reading the (small) keys table. */
  refreshMs?: number;
  /** Called once per signature (the tokens-minted metric). */
  onSign?: () => void;
}

interface LoadedView {
  loadedAt: number;
  published: PublicJWK[];
  signing: { kid: string; sign: (data: Uint8Array) => Uint8Array; header: string } | null;
}

const location = (kid: string) => ({ table: 'signing_keys', column: 'private_jwk_sealed', row: kid });

async function createKeyRow(options: KeyRingOptions, activatesAt: number): Promise<SigningKeysTable> {
  const kid = toBase64URL(options.random.bytes(12));
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
  const publicJWK = await exportJWK(publicKey);
  const privateJWK = await exportJWK(privateKey);
  const now = options.clock.now();
  return {
    kid,
    alg: SIGNING_ALG,
    public_jwk: JSON.stringify({
      kty: 'OKP',
      crv: 'Ed25519',
      x: publicJWK.x,
      kid,
      alg: SIGNING_ALG,
      use: 'sig',
    }),
    private_jwk_sealed: options.sealer.seal(JSON.stringify(privateJWK), location(kid)),
    created_at: now,
    activates_at: activatesAt,
  };
}

/**
 * The deployment's Ed25519 signing keys. Reads hit an in-memory view refreshed every `refreshMs`
 * (the table holds a handful of rows), so signing never touches the database on the hot path,
 * while a rotation done by another process is picked up within that interval.
 */
export class KeyRing {
  private view: LoadedView | null = null;
  private loading: Promise<LoadedView> | null = null;
  private readonly refreshMs: number;

  constructor(private readonly options: KeyRingOptions) {
    this.refreshMs = options.refreshMs ?? DEFAULTS.keyTableRefreshSeconds * 1000;
  }

  /**
   * Create the first key if there is none, then open the signing key (SealError when it was sealed
   * under another secret). Safe to call from every starting process.
   */
  async ensureKey(): Promise<void> {
    const existing = await this.options.db
      .selectFrom('signing_keys')
      .select('kid')
      .limit(1)
      .executeTakeFirst();
    if (!existing) {
      const row = await createKeyRow(this.options, this.options.clock.now());
      await this.options.db.insertInto('signing_keys').values(row).execute();
      this.view = null;
    }
    // Open the signing key now: under another secret than the one it was sealed with, this throws
    // SealError at start-up instead of failing every signature afterwards.
    await this.current();
  }

  /**
   * Publish a new key now; it starts signing after `delaySeconds` (KEY_ROTATION_DELAY_SECONDS:
   * other processes publish it within their refresh, every verifier's older copy expires within
   * the key set's max-age after that). Retired keys past their grace are deleted.
   */
  async rotate(delaySeconds: number): Promise<{ kid: string; activates_at: number; removed: string[] }> {
    const now = this.options.clock.now();
    const row = await createKeyRow(this.options, now + delaySeconds * 1000);
    const removed = await this.options.db.transaction().execute(async (trx) => {
      await trx.insertInto('signing_keys').values(row).execute();
      const keys = await trx.selectFrom('signing_keys').select(['kid', 'activates_at']).execute();
      const { expired } = scheduleKeys(keys, now, this.options.policy);
      if (expired.length > 0) {
        await trx
          .deleteFrom('signing_keys')
          .where(
            'kid',
            'in',
            expired.map((key) => key.kid),
          )
          .execute();
      }
      return expired.map((key) => key.kid);
    });
    this.view = null;
    return { kid: row.kid, activates_at: row.activates_at, removed };
  }

  /** The key set verifiers fetch: every key that is about to sign, signs, or signed a live token. */
  async publicKeys(): Promise<PublicJWK[]> {
    return (await this.current()).published;
  }

  async hasSigningKey(): Promise<boolean> {
    return (await this.current()).signing !== null;
  }

  /**
   * Sign a JWT with the newest active key (the only one that signs). `type` sets the header's
   * `typ` (RFC 9068 §2.1: `at+jwt` for OAuth access tokens); default `JWT`.
   */
  sign(claims: JWTPayload, options: { type?: string } = {}): Awaitable<string> {
    // The token itself while the loaded keys are fresh (awaitable.ts), a promise when they load.
    return thenNow(this.current(), ({ signing }) => {
      if (!signing) throw new Error('no active signing key');
      // RFC 7515 §7.1 compact serialisation; the default header is encoded once per key.
      const header =
        options.type === undefined
          ? signing.header
          : Buffer.from(JSON.stringify({ alg: SIGNING_ALG, kid: signing.kid, typ: options.type })).toString(
              'base64url',
            );
      const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      this.options.onSign?.();
      return `${input}.${Buffer.from(signing.sign(Buffer.from(input))).toString('base64url')}`;
    });
  }

  /** Forget the in-memory view (after a rotation elsewhere, or in tests). */
  invalidate(): void {
    this.view = null;
  }

  private current(): Awaitable<LoadedView> {
    const now = this.options.clock.now();
    if (this.view && now - this.view.loadedAt < this.refreshMs) return this.view;
    // Single-flight: concurrent callers share one load.
    this.loading ??= this.load(now).finally(() => {
      this.loading = null;
    });
    return this.loading.then((view) => {
      this.view = view;
      return view;
    });
  }

  private async load(now: number): Promise<LoadedView> {
    const rows = await this.options.db.selectFrom('signing_keys').selectAll().execute();
    const { signing, published } = scheduleKeys(rows, now, this.options.policy);
    let signingKey: LoadedView['signing'] = null;
    if (signing) {
      const jwk = JSON.parse(
        this.options.sealer.open(signing.private_jwk_sealed, location(signing.kid)),
      ) as Ed25519PrivateJWK;
      const header = Buffer.from(JSON.stringify({ alg: SIGNING_ALG, kid: signing.kid, typ: 'JWT' })).toString(
        'base64url',
      );
      signingKey = { kid: signing.kid, sign: ed25519Signer(jwk), header };
    }
    return {
      loadedAt: now,
      published: published.map((row) => JSON.parse(row.public_jwk) as PublicJWK),
      signing: signingKey,
    };
  }
}
