import type { VerifyFailureReason } from './events.js';

/** Internal: carries the reason from the check that failed up to the one place that reports it. */
export class VerifyFailure extends Error {
  constructor(readonly reason: VerifyFailureReason) {
    super(reason);
  }
}
