import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Sealer } from '../crypto/seal.js';
import type { KeyRing } from '../signing/signing-keys.js';
import type { Database } from '../storage/schema.js';
import { lockChainHead } from './chain.js';

/** What a checkpoint signs: the chain head of one org at one place. */
export interface CheckpointClaims {
  typ: 'pylon-audit-checkpoint';
  org: string;
  seq: number;
  hash: string;
  iat: number;
}

export interface CheckpointSigner {
  db: Kysely<Database>;
  keys: KeyRing;
  sealer: Sealer;
}

const keyLocation = (kid: string) => ({
  table: 'audit_checkpoint_keys',
  column: 'public_jwk_sealed',
  row: kid,
});

/**
 * Sign the head of every org whose chain grew since its last checkpoint, with the deployment's
 * current signing key (a compact JWS, RFC 7515, EdDSA per RFC 8037). The signing key's public half
 * is kept, sealed, in `audit_checkpoint_keys`: a key rotated out of the key set still verifies the
 * checkpoints it signed, and the seal (which needs PYLON_SECRET) keeps anyone with only database
 * access from adding a key of their own. Idempotent across processes: a checkpoint per (org, seq).
 */
export async function writeCheckpoints(signer: CheckpointSigner, now: number): Promise<number> {
  const { db } = signer;
  const due = await db
    .selectFrom('audit_chain_heads as h')
    .select(['h.org', 'h.seq', 'h.hash'])
    .where('h.seq', '>', 0)
    .where((eb) =>
      eb(
        'h.seq',
        '>',
        eb.fn.coalesce(
          eb
            .selectFrom('audit_checkpoints as c')
            .select((inner) => inner.fn.max('c.seq').as('last'))
            .whereRef('c.org', '=', 'h.org'),
          eb.lit(0),
        ),
      ),
    )
    .execute();
  if (due.length === 0 || !(await signer.keys.hasSigningKey())) return 0;
  for (const head of due) {
    const claims: CheckpointClaims = {
      typ: 'pylon-audit-checkpoint',
      org: head.org,
      seq: Number(head.seq),
      hash: head.hash,
      iat: Math.floor(now / 1000),
    };
    const signature = await signer.keys.sign({ ...claims });
    const { kid } = decodeProtectedHeader(signature);
    if (kid === undefined) throw new Error('signing key has no kid');
    await rememberKey(signer, kid, now);
    await storeCheckpoint(db, { org: head.org, seq: claims.seq, hash: head.hash, kid, signature, at: now });
  }
  return due.length;
}

/**
 * Keep a signed checkpoint, unless retention pruned its place meanwhile (another process may prune
 * between reading the head and signing it). Pruning removes the checkpoints of the prefix it
 * removes, and verification reports any checkpoint left in the pruned range, so the check runs
 * under the chain head's lock, which pruning holds for its whole transaction. Exported for tests.
 */
export async function storeCheckpoint(
  db: Kysely<Database>,
  checkpoint: { org: string; seq: number; hash: string; kid: string; signature: string; at: number },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const head = await lockChainHead(trx, checkpoint.org);
    if (checkpoint.seq <= head.prunedSeq) return false;
    await trx
      .insertInto('audit_checkpoints')
      .values(checkpoint)
      .onConflict((oc) => oc.columns(['org', 'seq']).doNothing())
      .execute();
    return true;
  });
}

async function rememberKey(signer: CheckpointSigner, kid: string, now: number): Promise<void> {
  const known = await signer.db
    .selectFrom('audit_checkpoint_keys')
    .select('kid')
    .where('kid', '=', kid)
    .executeTakeFirst();
  if (known) return;
  const jwk = (await signer.keys.publicKeys()).find((key) => key.kid === kid);
  if (!jwk) throw new Error(`signing key ${kid} is not in the key set`);
  await signer.db
    .insertInto('audit_checkpoint_keys')
    .values({
      kid,
      public_jwk_sealed: signer.sealer.seal(JSON.stringify(jwk), keyLocation(kid)),
      created_at: now,
    })
    .onConflict((oc) => oc.column('kid').doNothing())
    .execute();
}

/** Why a checkpoint does not hold, or null when it does. */
export type CheckpointFault = 'checkpoint_unknown_key' | 'checkpoint_signature' | 'checkpoint_mismatch';

/**
 * Checks checkpoints against the keys that signed them, each public key opened (and so
 * authenticated) once per verification.
 */
export class CheckpointVerifier {
  private readonly keys = new Map<string, Promise<CryptoKey | Uint8Array | null>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sealer: Sealer,
  ) {}

  async check(
    checkpoint: { org: string; seq: number; kid: string; signature: string },
    entryHash: string,
  ): Promise<CheckpointFault | null> {
    const key = await this.key(checkpoint.kid);
    if (key === null) return 'checkpoint_unknown_key';
    let claims: Partial<CheckpointClaims>;
    try {
      const { payload, protectedHeader } = await compactVerify(checkpoint.signature, key, {
        algorithms: ['EdDSA'],
      });
      if (protectedHeader.kid !== checkpoint.kid) return 'checkpoint_signature';
      claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Partial<CheckpointClaims>;
    } catch {
      return 'checkpoint_signature';
    }
    if (
      claims.typ !== 'pylon-audit-checkpoint' ||
      claims.org !== checkpoint.org ||
      claims.seq !== checkpoint.seq
    ) {
      return 'checkpoint_signature';
    }
    return claims.hash === entryHash ? null : 'checkpoint_mismatch';
  }

  private key(kid: string): Promise<CryptoKey | Uint8Array | null> {
    let key = this.keys.get(kid);
    if (!key) {
      key = this.load(kid);
      this.keys.set(kid, key);
    }
    return key;
  }

  private async load(kid: string): Promise<CryptoKey | Uint8Array | null> {
    const row = await this.db
      .selectFrom('audit_checkpoint_keys')
      .select('public_jwk_sealed')
      .where('kid', '=', kid)
      .executeTakeFirst();
    if (!row) return null;
    try {
      const jwk = JSON.parse(this.sealer.open(row.public_jwk_sealed, keyLocation(kid))) as Record<
        string,
        string
      >;
      if (jwk.kid !== kid) return null;
      return await importJWK(jwk, 'EdDSA');
    } catch {
      return null;
    }
  }
}
