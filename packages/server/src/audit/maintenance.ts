import type { Services } from '../http/context.js';
import { CheckpointVerifier, writeCheckpoints } from './checkpoints.js';
import { pruneAudit } from './retention.js';
import { type ChainReport, verifyAuditChain } from './verify.js';

/** How often each org's grown chain head is signed. */
export const CHECKPOINT_EVERY_MS = 60_000;
/** How often retention looks for a prunable prefix (when PYLON_AUDIT_RETENTION_DAYS is set). */
export const PRUNE_EVERY_MS = 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

type AuditServices = Pick<
  Services,
  'storage' | 'keys' | 'sealer' | 'clock' | 'logger' | 'config' | 'background' | 'scheduler'
>;

/**
 * The audit chain's upkeep in a running server: every minute, sign the head of each org whose chain
 * grew (checkpoints.ts); every hour, with a retention set, prune what has aged out (retention.ts).
 * Every process runs it; both steps are idempotent across processes. Work is tracked by the
 * server's background work, so shutdown waits for a tick in progress. The server's scheduler runs
 * it: a timer on Node, the Durable Object's alarm on Workers (workers/alarm-scheduler.ts).
 */
export class AuditMaintenance {
  private cancel: (() => void) | null = null;
  private lastPrune = 0;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly services: AuditServices) {}

  start(): void {
    this.cancel ??= this.services.scheduler.every(CHECKPOINT_EVERY_MS, () => {
      const tick = this.tick();
      this.services.background.run(tick);
      return tick;
    });
  }

  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }

  /** One round of upkeep; ticks never overlap. */
  tick(): Promise<void> {
    this.running = this.running.then(() => this.work());
    return this.running;
  }

  verify(query: { org: string; from?: number }): Promise<ChainReport> {
    const { storage, sealer } = this.services;
    return verifyAuditChain(storage.db, new CheckpointVerifier(storage.db, sealer), query);
  }

  private async work(): Promise<void> {
    const { storage, keys, sealer, clock, logger, config } = this.services;
    const now = clock.now();
    try {
      const days = config.auditRetentionDays;
      if (days !== null && now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now;
        for (const pruned of await pruneAudit(storage.db, now - days * DAY_MS, now)) {
          logger.info(pruned, 'audit: pruned a prefix past retention');
        }
      }
      await writeCheckpoints({ db: storage.db, keys, sealer }, now);
    } catch (error) {
      logger.warn({ err: error }, 'audit: chain upkeep failed');
    }
  }
}
