import { isValidEmail, normalizeEmail } from '@pylon/core';
import type { Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { attribute, children, containsComment, isElement, onlyChild, parseXML, wholeText } from './dom.js';
import { fail, SAMLValidationError } from './failure.js';
import { NAMEID_EMAIL, NAMEID_UNSPECIFIED, NS } from './xml.js';

export type { SAMLFailureReason } from './failure.js';
export { SAMLValidationError };

/** What the response must match: the org's configuration and the request this browser started. */
export interface SAMLExpectations {
  idpEntityID: string;
  idpCertPEM: string;
  spEntityID: string;
  acsURL: string;
  /** The ID of the AuthnRequest this browser started; unsolicited responses never match it. */
  requestID: string;
  emailAttribute: string | null;
  nameAttribute: string | null;
}

export interface VerifiedSAMLIdentity {
  issuer: string;
  /** The NameID, read whole: the identity's subject at this IdP. */
  nameID: string;
  email: string;
  name: string | null;
  /** For single use: the assertion's ID, kept until `replayUntil` (ms). */
  assertionID: string;
  replayUntil: number;
}

/** SAML profiles §4.1.4.3 leaves skew to the SP; 3 minutes absorbs ordinary clock drift. */
export const CLOCK_SKEW_MS = 180_000;

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const NAMEID_TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

/** RSA with SHA-2 only: SHA-1 is broken for signatures, and HMAC would turn the public cert into a key. */
const SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const DIGEST_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
/** SAML core §5.4.3–5.4.4: the enveloped-signature transform and (exclusive) canonicalization only. */
const TRANSFORMS = new Set([
  'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
]);

/**
 * Validate an HTTP-POST SAMLResponse (SAML bindings §3.5.4) as the Web Browser SSO profile's SP
 * (SAML profiles §4.1.4.3). Pure: `now` is given, the key is the configured certificate. Every
 * identity field is read from the XML the verified signature covers — re-parsed from the signed
 * bytes xml-crypto returns — never looked up in the document as received, so an unsigned assertion
 * moved in beside a signed one (XML signature wrapping: Somorovsky et al., "On Breaking SAML: Be
 * Whoever You Want to Be", USENIX Security 2012) is never read.
 */
export function validateSAMLResponse(
  samlResponse: string,
  now: number,
  expected: SAMLExpectations,
): VerifiedSAMLIdentity {
  const xml = decodeResponse(samlResponse);
  const received = parseXML(xml).documentElement;
  if (!received || !isElement(received, NS.protocol, 'Response')) fail('malformed');

  // Checks over the document as received only ever refuse; nothing is read from it.
  if (received.getElementsByTagNameNS(NS.assertion, 'EncryptedAssertion').length > 0) {
    fail('encrypted_assertion_unsupported');
  }
  checkStatus(received);
  const assertions = received.getElementsByTagNameNS(NS.assertion, 'Assertion');
  if (assertions.length !== 1) fail('assertion_count');
  const receivedAssertion = assertions.item(0)!;
  if (receivedAssertion.parentNode !== received) fail('assertion_count');

  const signed = verifySignatures(xml, received, receivedAssertion, expected.idpCertPEM);
  // Canonicalization drops comments, so a comment that splits a NameID keeps the signature valid
  // while a naive reader sees only the first text node (CVE-2017-11427 and siblings, Duo Labs,
  // "Duo Finds SAML Vulnerabilities Affecting Multiple Implementations", 2018). Refused outright.
  if (containsComment(receivedAssertion)) fail('comment_in_assertion');

  const response = signed.response ?? received;
  checkResponseEnvelope(response, expected);
  return readAssertion(signed.assertion, now, expected);
}

function decodeResponse(samlResponse: string): string {
  const compact = samlResponse.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) fail('malformed');
  let xml: string;
  try {
    xml = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(compact, 'base64'));
  } catch {
    fail('malformed');
  }
  // No DTDs at all (SAML core §1.3 never needs one): entity expansion and external entities are
  // refused before any parser sees the text.
  if (/<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.test(xml)) fail('doctype_forbidden');
  return xml;
}

/** SAML core §3.2.2.2: anything but Success means the IdP did not authenticate anyone. */
function checkStatus(response: Element): void {
  const status = onlyChild(response, NS.protocol, 'Status');
  const code = status ? onlyChild(status, NS.protocol, 'StatusCode') : null;
  if (!code || attribute(code, 'Value') !== SUCCESS) fail('status_not_success');
}

interface SignedParts {
  /** The assertion, re-parsed from the bytes a verified signature covers. */
  assertion: Element;
  /** The response, when its own signature verified; null when only the assertion is signed. */
  response: Element | null;
}

/**
 * SAML core §5.4: a signature sits in the element it signs and references it by ID. The assertion's
 * signature is what SAML profiles §4.1.3.5 asks for; a signature over the whole Response (Keycloak's
 * default) covers the assertion inside it too. Any signature present there must verify; at least
 * one must exist.
 */
function verifySignatures(xml: string, response: Element, assertion: Element, certPEM: string): SignedParts {
  const assertionSignature = onlyChild(assertion, NS.dsig, 'Signature');
  const responseSignature = onlyChild(response, NS.dsig, 'Signature');
  if (!assertionSignature && !responseSignature) fail('signature_missing');
  const signedResponse = responseSignature
    ? verifyEnveloped(xml, response, responseSignature, certPEM, 'Response', NS.protocol)
    : null;
  if (assertionSignature) {
    return {
      assertion: verifyEnveloped(xml, assertion, assertionSignature, certPEM, 'Assertion', NS.assertion),
      response: signedResponse,
    };
  }
  const inner = children(signedResponse!, NS.assertion, 'Assertion');
  if (inner.length !== 1) fail('assertion_count');
  return { assertion: inner[0]!, response: signedResponse };
}

/**
 * Verify one enveloped signature with the configured certificate only — KeyInfo is never consulted
 * (a key the message brings proves nothing) — and return the element it covers, re-parsed from the
 * canonical bytes whose digest was checked.
 */
function verifyEnveloped(
  xml: string,
  signedElement: Element,
  signature: Element,
  certPEM: string,
  localName: string,
  ns: string,
): Element {
  const id = attribute(signedElement, 'ID');
  if (!id) fail('signature_reference');
  checkSignatureShape(signature, id);
  const verifier = new SignedXml({ publicCert: certPEM, getCertFromKeyInfo: () => null });
  let verified = false;
  try {
    verifier.loadSignature(signature as unknown as globalThis.Node);
    verified = verifier.checkSignature(xml);
  } catch {
    fail('signature_invalid');
  }
  if (!verified) fail('signature_invalid');
  const covered = verifier.getSignedReferences();
  if (covered.length !== 1) fail('signature_reference');
  const element = parseXML(covered[0]!).documentElement;
  if (!isElement(element, ns, localName) || attribute(element, 'ID') !== id) fail('signature_reference');
  return element;
}

/** One Reference, to the enveloping element's ID, with algorithms from the allow-lists above. */
function checkSignatureShape(signature: Element, id: string): void {
  const signedInfo = onlyChild(signature, NS.dsig, 'SignedInfo');
  if (!signedInfo) fail('signature_invalid');
  const method = onlyChild(signedInfo, NS.dsig, 'SignatureMethod');
  if (!method || !SIGNATURE_ALGORITHMS.has(attribute(method, 'Algorithm') ?? '')) {
    fail('signature_algorithm');
  }
  const references = children(signedInfo, NS.dsig, 'Reference');
  if (references.length !== 1) fail('signature_reference');
  const reference = references[0]!;
  if (attribute(reference, 'URI') !== `#${id}`) fail('signature_reference');
  const digest = onlyChild(reference, NS.dsig, 'DigestMethod');
  if (!digest || !DIGEST_ALGORITHMS.has(attribute(digest, 'Algorithm') ?? '')) {
    fail('signature_algorithm');
  }
  const transforms = onlyChild(reference, NS.dsig, 'Transforms');
  for (const transform of transforms ? children(transforms, NS.dsig, 'Transform') : []) {
    if (!TRANSFORMS.has(attribute(transform, 'Algorithm') ?? '')) fail('signature_algorithm');
  }
}

/**
 * SAML bindings §3.5.5.2: Destination must name the ACS URL the message arrived at (always
 * required here: every IdP we know sends it). The response's own Issuer and InResponseTo are
 * optional (core §3.2.2) but must agree when present.
 */
function checkResponseEnvelope(response: Element, expected: SAMLExpectations): void {
  if (attribute(response, 'Version') !== '2.0') fail('malformed');
  if (attribute(response, 'Destination') !== expected.acsURL) fail('destination_mismatch');
  const inResponseTo = attribute(response, 'InResponseTo');
  if (inResponseTo !== null && inResponseTo !== expected.requestID) fail('in_response_to_mismatch');
  const issuer = onlyChild(response, NS.assertion, 'Issuer');
  if (issuer && wholeText(issuer) !== expected.idpEntityID) fail('issuer_mismatch');
}

function parseInstant(value: string | null): number | null {
  if (value === null) return null;
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value)) fail('malformed');
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) fail('malformed');
  return ms;
}

/** SAML profiles §4.1.4.2–4.1.4.3, read from the verified assertion only. */
function readAssertion(assertion: Element, now: number, expected: SAMLExpectations): VerifiedSAMLIdentity {
  if (attribute(assertion, 'Version') !== '2.0') fail('malformed');
  const assertionID = attribute(assertion, 'ID');
  // Kept in the replay table's primary key: an IdP's IDs are about 40 characters.
  if (!assertionID || assertionID.length > 256) fail('malformed');
  const issuerElement = onlyChild(assertion, NS.assertion, 'Issuer');
  if (!issuerElement || wholeText(issuerElement) !== expected.idpEntityID) fail('issuer_mismatch');

  const conditionsUntil = checkConditions(assertion, now, expected.spEntityID);
  const subject = onlyChild(assertion, NS.assertion, 'Subject');
  if (!subject) fail('malformed');
  const confirmedUntil = checkBearerConfirmation(subject, now, expected);
  if (children(assertion, NS.assertion, 'AuthnStatement').length === 0) fail('authn_statement_missing');

  const nameIDElement = onlyChild(subject, NS.assertion, 'NameID');
  if (!nameIDElement) {
    fail(
      children(subject, NS.assertion, 'EncryptedID').length > 0
        ? 'encrypted_assertion_unsupported'
        : 'malformed',
    );
  }
  const nameID = wholeText(nameIDElement);
  if (nameID === '') fail('malformed');
  const format = attribute(nameIDElement, 'Format');
  // A transient NameID changes at every sign-in (core §8.3.8): it cannot key an identity.
  if (format === NAMEID_TRANSIENT) fail('nameid_format_unsupported');

  let email: string | null;
  if (expected.emailAttribute === null) {
    if (format !== null && format !== NAMEID_EMAIL && format !== NAMEID_UNSPECIFIED) {
      fail('nameid_format_unsupported');
    }
    email = nameID;
  } else {
    email = readAttribute(assertion, expected.emailAttribute);
  }
  // One address by the rule sign-up applies (core's isValidEmail), checked as asserted: folded
  // first, `\u212Aate@…` (KELVIN SIGN) would pass as `kate@…`.
  if (email === null || !isValidEmail(email)) fail('missing_email');
  email = normalizeEmail(email);
  const name = expected.nameAttribute === null ? null : readAttribute(assertion, expected.nameAttribute);
  return {
    issuer: expected.idpEntityID,
    nameID,
    email,
    name: name === null || name === '' ? null : name.slice(0, 200),
    assertionID,
    // Kept as long as either window could still accept it, plus the skew.
    replayUntil: Math.max(conditionsUntil ?? 0, confirmedUntil) + CLOCK_SKEW_MS,
  };
}

/** SAML core §2.5.1: the validity window and every AudienceRestriction (each must name us). */
function checkConditions(assertion: Element, now: number, spEntityID: string): number | null {
  const conditions = onlyChild(assertion, NS.assertion, 'Conditions');
  if (!conditions) fail('audience_mismatch');
  const notBefore = parseInstant(attribute(conditions, 'NotBefore'));
  const notOnOrAfter = parseInstant(attribute(conditions, 'NotOnOrAfter'));
  if (notBefore !== null && now + CLOCK_SKEW_MS < notBefore) fail('not_yet_valid');
  if (notOnOrAfter !== null && now - CLOCK_SKEW_MS >= notOnOrAfter) fail('expired');
  // SAML profiles §4.1.4.2: an SSO assertion MUST carry an AudienceRestriction naming the SP.
  const restrictions = children(conditions, NS.assertion, 'AudienceRestriction');
  if (restrictions.length === 0) fail('audience_mismatch');
  for (const restriction of restrictions) {
    const audiences = children(restriction, NS.assertion, 'Audience').map(wholeText);
    if (!audiences.includes(spEntityID)) fail('audience_mismatch');
  }
  return notOnOrAfter;
}

/**
 * SAML profiles §4.1.4.2: a bearer SubjectConfirmation whose data names our ACS as Recipient, the
 * request ID as InResponseTo, and a NotOnOrAfter still ahead. Returns that NotOnOrAfter. With
 * several, one that passes is enough; otherwise the first one's failure is the reason.
 */
function checkBearerConfirmation(subject: Element, now: number, expected: SAMLExpectations): number {
  const bearers = children(subject, NS.assertion, 'SubjectConfirmation').filter(
    (confirmation) => attribute(confirmation, 'Method') === BEARER,
  );
  if (bearers.length === 0) fail('subject_confirmation_missing');
  let firstFailure: SAMLValidationError | null = null;
  for (const bearer of bearers) {
    try {
      return checkConfirmationData(bearer, now, expected);
    } catch (error) {
      if (!(error instanceof SAMLValidationError)) throw error;
      firstFailure ??= error;
    }
  }
  throw firstFailure!;
}

function checkConfirmationData(bearer: Element, now: number, expected: SAMLExpectations): number {
  const data = onlyChild(bearer, NS.assertion, 'SubjectConfirmationData');
  if (!data) fail('subject_confirmation_missing');
  if (attribute(data, 'Recipient') !== expected.acsURL) fail('recipient_mismatch');
  if (attribute(data, 'InResponseTo') !== expected.requestID) fail('in_response_to_mismatch');
  const notBefore = parseInstant(attribute(data, 'NotBefore'));
  if (notBefore !== null && now + CLOCK_SKEW_MS < notBefore) fail('not_yet_valid');
  const notOnOrAfter = parseInstant(attribute(data, 'NotOnOrAfter'));
  if (notOnOrAfter === null) fail('subject_confirmation_missing');
  if (now - CLOCK_SKEW_MS >= notOnOrAfter) fail('expired');
  return notOnOrAfter;
}

/** The first value of the named attribute in the verified assertion's AttributeStatements. */
function readAttribute(assertion: Element, name: string): string | null {
  for (const statement of children(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attributeElement of children(statement, NS.assertion, 'Attribute')) {
      if (attribute(attributeElement, 'Name') !== name) continue;
      const value = children(attributeElement, NS.assertion, 'AttributeValue')[0];
      return value ? wholeText(value) : null;
    }
  }
  return null;
}
