/** One audit entry as `GET /audit` returns it (docs/API.md "RBAC service"). */
export interface AuditEntry {
  ts: number;
  action: string;
  actor: string;
  target?: string;
  detail?: Record<string, unknown>;
  /** The stored text of a `detail` that does not decode (changed behind Pylon's back). */
  undecodable?: { detail?: string };
  org: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  next_cursor?: string;
}

export interface AuditQuery {
  since?: number;
  cursor?: string;
}

/**
 * Where `audit tail --follow` has read up to. The server hands out a cursor only after a full
 * page, so once caught up the next poll asks again from the last timestamp seen (`since` is
 * inclusive) and skips the entries of that millisecond it already printed. Entries carry no id,
 * so they are counted by content: two identical entries in one millisecond are both printed once.
 * Pure: no I/O, no clock.
 */
export class AuditPosition {
  private cursor: string | undefined;
  private since: number | undefined;
  private lastTs: number | undefined;
  /** How many entries of each content were printed at `lastTs`. */
  private printedAtLastTs = new Map<string, number>();
  /** Printed entries the current re-read of `lastTs` has still to meet again. */
  private repeats = new Map<string, number>();
  private lastPageFull = false;

  constructor(start: AuditQuery) {
    this.cursor = start.cursor;
    this.since = start.since;
  }

  /** The position part of the next request. */
  query(): AuditQuery {
    if (this.cursor !== undefined) return { cursor: this.cursor };
    return this.since === undefined ? {} : { since: this.since };
  }

  /**
   * Takes the page answering `query()`, returns the entries not printed before, and moves the
   * position past them.
   */
  advance(page: AuditPage): AuditEntry[] {
    // A read by `since` repeats the last millisecond from its start, oldest first, possibly over
    // several pages: the first copies met in that pass are the ones already printed. A read from
    // a cursor the server gave continues the pass (or starts exactly after what was printed).
    if (this.cursor === undefined) this.repeats = new Map(this.printedAtLastTs);
    const fresh: AuditEntry[] = [];
    for (const entry of page.entries) {
      const key = JSON.stringify(entry);
      if (entry.ts === this.lastTs) {
        const left = this.repeats.get(key) ?? 0;
        if (left > 0) {
          this.repeats.set(key, left - 1);
          continue;
        }
      } else {
        this.lastTs = entry.ts;
        this.printedAtLastTs = new Map();
        this.repeats = new Map();
      }
      this.printedAtLastTs.set(key, (this.printedAtLastTs.get(key) ?? 0) + 1);
      fresh.push(entry);
    }
    this.lastPageFull = page.next_cursor !== undefined;
    if (page.next_cursor !== undefined) {
      this.cursor = page.next_cursor;
    } else if (this.lastTs !== undefined) {
      this.cursor = undefined;
      this.since = this.lastTs;
    }
    // An empty page from a cursor keeps that cursor: it still marks where to go on from.
    return fresh;
  }

  /** True when the last page was full, so more is waiting right now. */
  get hasMore(): boolean {
    return this.lastPageFull;
  }
}
