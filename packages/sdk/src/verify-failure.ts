import type { VerifyFailureReason } from './events.js';

/** Internal: carries the reason from the check that failed up to the one place that reports it. */
export class VerifyFailure extends Error {
  constructor(
    readonly reason: VerifyFailureReason,
    /** For `wrong_issuer`: the signed token's own `iss`, which the configuration warning names. */
    readonly detail: { issuer?: string | undefined } = {},
  ) {
    super(reason);
  }
}
