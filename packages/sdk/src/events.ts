/** Why a token was refused. Stable: dashboards and alerts key on these. */
export type VerifyFailureReason =
  | 'malformed'
  | 'oversized'
  | 'duplicate_header_parameter'
  | 'alg_not_allowed'
  | 'unknown_kid'
  | 'key_not_for_verification'
  | 'bad_signature'
  | 'missing_exp'
  | 'expired'
  | 'not_yet_valid'
  | 'iat_in_future'
  | 'lifetime_too_long'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_org'
  | 'wrong_app'
  | 'wrong_token_type';

/** What the SDK reports through `onEvent`; never a token, only shapes and counts. */
export interface PylonEvents {
  'token.verify.failed': { reason: VerifyFailureReason };
  'key_set.refreshed': { kids: number };
  'key_set.refresh_failed': { failures: number; retry_in_ms: number; status?: number };
  'org.discovered': { id: string; api_url: string };
  'org.discovery_failed': { message: string; failures: number; retry_in_ms: number };
  /** Once per client: a signed token's `iss` is not this client's issuer, and none has verified yet. */
  'org.issuer_mismatch': { token_issuer: string; expected_issuer: string; message: string };
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
