/**
 * Why a SAMLResponse was refused: stable strings for logs, tests and the error message. None of
 * them carries anything from the response itself.
 */
export type SAMLFailureReason =
  | 'malformed'
  | 'doctype_forbidden'
  | 'too_complex'
  | 'status_not_success'
  | 'encrypted_assertion_unsupported'
  | 'assertion_count'
  | 'signature_missing'
  | 'signature_algorithm'
  | 'signature_invalid'
  | 'signature_reference'
  | 'comment_in_assertion'
  | 'issuer_mismatch'
  | 'destination_mismatch'
  | 'audience_mismatch'
  | 'recipient_mismatch'
  | 'in_response_to_mismatch'
  | 'not_yet_valid'
  | 'expired'
  | 'subject_confirmation_missing'
  | 'authn_statement_missing'
  | 'nameid_format_unsupported'
  | 'missing_email';

const MESSAGES: Record<SAMLFailureReason, string> = {
  malformed: 'The SAML response is not a well-formed SAML 2.0 Response',
  doctype_forbidden: 'The SAML response contains a DOCTYPE or entity declaration',
  too_complex: 'The SAML response has more elements, or deeper nesting, than a real response needs',
  status_not_success: 'The identity provider did not authenticate the person',
  encrypted_assertion_unsupported:
    'Encrypted assertions are not supported; send a signed, unencrypted assertion',
  assertion_count: 'The SAML response must contain exactly one assertion',
  signature_missing: 'The assertion (or the response around it) is not signed',
  signature_algorithm:
    'The signature uses an algorithm this service provider does not accept (RSA with SHA-256 or SHA-512 only)',
  signature_invalid: 'The signature does not verify with the configured IdP certificate',
  signature_reference: 'The signature does not cover the element that carries it',
  comment_in_assertion: 'The assertion contains XML comments',
  issuer_mismatch: 'The Issuer is not the configured IdP entity ID',
  destination_mismatch: 'The response Destination is not this service provider’s ACS URL',
  audience_mismatch: 'The assertion’s Audience is not this service provider',
  recipient_mismatch: 'The SubjectConfirmationData Recipient is not this service provider’s ACS URL',
  in_response_to_mismatch: 'The response does not answer the sign-in this browser started',
  not_yet_valid: 'The assertion is not valid yet',
  expired: 'The assertion has expired',
  subject_confirmation_missing: 'The assertion has no bearer SubjectConfirmation',
  authn_statement_missing: 'The assertion has no AuthnStatement',
  nameid_format_unsupported:
    'The NameID format cannot identify a person (use emailAddress, or set email_attribute)',
  missing_email: 'The assertion carries no valid email address',
};

export class SAMLValidationError extends Error {
  override readonly name = 'SAMLValidationError';
  constructor(readonly reason: SAMLFailureReason) {
    super(MESSAGES[reason]);
  }
}

/** Refuse the response for this reason. */
export function fail(reason: SAMLFailureReason): never {
  throw new SAMLValidationError(reason);
}
