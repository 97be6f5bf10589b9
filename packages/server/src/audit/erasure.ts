import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { type ErasableField, fieldDigest, parseErased } from './chain.js';

/**
 * Erase a deleted person's address from the audit log: where an entry names it (as the actor's or
 * the target's text, or the target's email), the pseudonym (or, for the target email, nothing)
 * replaces it. Ids and email hashes stay, so entries still join to each other and to grants. The
 * chain commits to the digest of each personal field, and the digest of the erased text is kept in
 * `erased`, so every entry still verifies; verification accepts only the pseudonym in an erased
 * field, so erasure cannot be used to change what an entry says. No event is added or removed.
 */
export async function eraseFromAudit(
  trx: Kysely<Database>,
  person: { userId: string; email: string | null; pseudonym: string },
): Promise<number> {
  const { userId, email, pseudonym } = person;
  const rows = await trx
    .selectFrom('audit_events')
    .select(['id', 'actor', 'actor_id', 'target', 'target_email', 'erased'])
    .where((eb) =>
      eb.or([
        eb('actor_id', '=', userId),
        ...(email === null
          ? []
          : [eb('actor', '=', email), eb('target', '=', email), eb('target_email', '=', email)]),
      ]),
    )
    .execute();
  for (const row of rows) {
    // An `erased` changed behind Pylon's back is kept as it is, so verification still reports
    // the entry (`erasure_invalid`); the person's address goes all the same.
    const recorded = parseErased(row.erased);
    const erased = recorded ?? {};
    const replaced: { actor?: string; target?: string; target_email?: null } = {};
    const erase = (field: ErasableField) => {
      erased[field] ??= fieldDigest(row[field])!;
    };
    if ((row.actor_id === userId || (email !== null && row.actor === email)) && row.actor !== pseudonym) {
      erase('actor');
      replaced.actor = pseudonym;
    }
    if (email !== null && row.target === email) {
      erase('target');
      replaced.target = pseudonym;
    }
    if (email !== null && row.target_email === email) {
      erase('target_email');
      replaced.target_email = null;
    }
    if (Object.keys(replaced).length === 0) continue;
    await trx
      .updateTable('audit_events')
      .set({ ...replaced, ...(recorded === undefined ? {} : { erased: JSON.stringify(erased) }) })
      .where('id', '=', row.id)
      .execute();
  }
  return rows.length;
}
