/** Why a token was refused. Stable: dashboards and alerts key on these. */
export type VerifyFailureReason =
  | 'malformed'
  | 'oversized'
  | 'alg_not_allowed'
  | 'unknown_kid'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_org'
  | 'wrong_app';

/** What the SDK reports through `onEvent`; never a token, only shapes and counts. */
export interface PylonEvents {
  'token.verify.failed': { reason: VerifyFailureReason };
  'key_set.refreshed': { kids: number };
  'key_set.refresh_failed': { failures: number; retry_in_ms: number; status?: number };
}

export type PylonEventName = keyof PylonEvents;

/** `[name, detail]` pairs, so a listener that checks `name` gets `detail` narrowed. */
export type PylonEvent = {
  [Name in PylonEventName]: [name: Name, detail: PylonEvents[Name]];
}[PylonEventName];

export type OnEvent = (...event: PylonEvent) => void;

/** A listener that throws must not turn a verification into a failure (or a failure into a crash). */
export function safeEmitter(onEvent: OnEvent | undefined): OnEvent {
  if (!onEvent) return () => {};
  return (...event) => {
    try {
      onEvent(...event);
    } catch {}
  };
}
