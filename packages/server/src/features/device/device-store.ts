import { type Random, toBase64URL } from '../../crypto/random.js';
import { hashToken } from '../../crypto/tokens.js';
import type { DB } from '../../storage/database.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { DeviceStatus } from '../../storage/schema.js';
import { generateUserCode } from './user-code.js';

export const DEVICE_TTL_SECONDS = 10 * 60;
export const POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: each slow_down adds 5 seconds to the interval. */
const SLOW_DOWN_SECONDS = 5;

export interface PendingDevice {
  client: string;
  orgId: string;
  status: DeviceStatus;
  expiresAt: number;
  /** When it was asked for (ms) and from which address (null when unknown). */
  createdAt: number;
  requestedIP: string | null;
}

const PENDING_COLUMNS = ['client', 'org_id', 'status', 'expires_at', 'created_at', 'requested_ip'] as const;

function toPending(row: {
  client: string;
  org_id: string;
  status: DeviceStatus;
  expires_at: number;
  created_at: number;
  requested_ip: string | null;
}): PendingDevice {
  return {
    client: row.client,
    orgId: row.org_id,
    status: row.status,
    expiresAt: Number(row.expires_at),
    createdAt: Number(row.created_at),
    requestedIP: row.requested_ip,
  };
}

export type PollResult =
  | { kind: 'unknown' }
  | { kind: 'expired' }
  | { kind: 'slow_down'; interval: number }
  | { kind: 'pending' }
  | { kind: 'denied' }
  | { kind: 'approved'; userId: string; orgId: string; client: string };

/**
 * Device authorisations (RFC 8628). Every transition is one conditional statement, so two
 * processes can never both hand out the session of one approval, nor approve a code twice.
 */
export class DeviceStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
  ) {}

  async create(input: {
    client: string;
    orgId: string;
    now: number;
    requestedIP: string | null;
  }): Promise<{ deviceCode: string; userCode: string }> {
    const deviceCode = toBase64URL(this.random.bytes(32));
    await this.db.deleteFrom('device_authorizations').where('expires_at', '<=', input.now).execute();
    for (let attempt = 0; ; attempt++) {
      const userCode = generateUserCode(this.random);
      try {
        await this.db
          .insertInto('device_authorizations')
          .values({
            device_code_hash: hashToken(deviceCode),
            user_code: userCode,
            client: input.client,
            org_id: input.orgId,
            status: 'pending',
            user_id: null,
            interval_seconds: POLL_INTERVAL_SECONDS,
            last_poll_at: null,
            created_at: input.now,
            expires_at: input.now + DEVICE_TTL_SECONDS * 1000,
            requested_ip: input.requestedIP,
          })
          .execute();
        return { deviceCode, userCode };
      } catch (error) {
        // A user code collision (1 in 20^8 per live code): draw another.
        if (!isUniqueViolation(error) || attempt >= 3) throw error;
      }
    }
  }

  /** A pending, unexpired authorisation by its user code (for the approval page). */
  async findPending(userCode: string, now: number): Promise<PendingDevice | null> {
    const row = await this.db
      .selectFrom('device_authorizations')
      .select(PENDING_COLUMNS)
      .where('user_code', '=', userCode)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row ? toPending(row) : null;
  }

  /** Approve or deny a pending code for a user; null if it was not pending (unknown, used, expired). */
  async decide(
    userCode: string,
    orgId: string,
    decision: { approve: boolean; userId: string },
    now: number,
  ): Promise<PendingDevice | null> {
    const row = await this.db
      .updateTable('device_authorizations')
      .set({ status: decision.approve ? 'approved' : 'denied', user_id: decision.userId })
      .where('user_code', '=', userCode)
      .where('org_id', '=', orgId)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .returning(PENDING_COLUMNS)
      .executeTakeFirst();
    return row ? toPending(row) : null;
  }

  /**
   * Turn the user's approvals not yet collected into denials (their account was disabled): the
   * device's next poll is refused rather than handed a session after an enable. The count turned.
   */
  async denyApprovedFor(db: DB, userId: string): Promise<number> {
    const result = await db
      .updateTable('device_authorizations')
      .set({ status: 'denied' })
      .where('user_id', '=', userId)
      .where('status', '=', 'approved')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * One poll (RFC 8628 §3.4–3.5): faster than the interval is `slow_down` (and the interval grows);
   * an approval is handed out exactly once — the statement that reads it also consumes it.
   */
  async poll(deviceCode: string, orgId: string, now: number): Promise<PollResult> {
    const hash = hashToken(deviceCode);
    const row = await this.db
      .selectFrom('device_authorizations')
      .select(['status', 'interval_seconds', 'last_poll_at', 'expires_at', 'user_id', 'client'])
      .where('device_code_hash', '=', hash)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    if (!row || row.status === 'consumed') return { kind: 'unknown' };
    if (Number(row.expires_at) <= now) return { kind: 'expired' };
    const interval = Number(row.interval_seconds);
    const claimed = await this.db
      .updateTable('device_authorizations')
      .set({ last_poll_at: now })
      .where('device_code_hash', '=', hash)
      .where((eb) => eb.or([eb('last_poll_at', 'is', null), eb('last_poll_at', '<=', now - interval * 1000)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) {
      await this.db
        .updateTable('device_authorizations')
        .set((eb) => ({ interval_seconds: eb('interval_seconds', '+', SLOW_DOWN_SECONDS) }))
        .where('device_code_hash', '=', hash)
        .execute();
      return { kind: 'slow_down', interval: interval + SLOW_DOWN_SECONDS };
    }
    if (row.status === 'pending') return { kind: 'pending' };
    if (row.status === 'denied') return { kind: 'denied' };
    const consumed = await this.db
      .updateTable('device_authorizations')
      .set({ status: 'consumed' })
      .where('device_code_hash', '=', hash)
      .where('status', '=', 'approved')
      .returning(['user_id', 'org_id', 'client'])
      .executeTakeFirst();
    if (!consumed?.user_id) return { kind: 'unknown' };
    return { kind: 'approved', userId: consumed.user_id, orgId: consumed.org_id, client: consumed.client };
  }
}
