import { deflateRawSync } from 'node:zlib';
import { type Random, toHex } from '../../../crypto/random.js';
import { BINDING_HTTP_POST, escapeXML, NS, toSAMLInstant } from './xml.js';

export interface AuthnRequestInput {
  /** From {@link createRequestID}; the response's InResponseTo must equal it. */
  requestID: string;
  /** Milliseconds since the epoch. */
  issueInstant: number;
  /** The IdP's SSO URL (bindings §3.4.5.2: a message sent over HTTP-Redirect names where it goes). */
  destination: string;
  acsURL: string;
  spEntityID: string;
  /**
   * The NameID format to ask for, or null to leave it to the IdP (when the email comes from an
   * attribute, asking for emailAddress would make IdPs that send another format refuse the request).
   */
  nameIDFormat: string | null;
}

/**
 * A request ID: an xs:ID (an NCName, so it may not start with a digit) carrying 160 random bits,
 * as SAML core §1.3.4 asks identifiers to be unguessable (at least 128 bits).
 */
export function createRequestID(random: Random): string {
  return `_${toHex(random.bytes(20))}`;
}

/** SAML core §3.4.1: the AuthnRequest, asking for the answer over HTTP-POST at our ACS. */
export function buildAuthnRequest(input: AuthnRequestInput): string {
  const policy =
    input.nameIDFormat === null
      ? '<samlp:NameIDPolicy AllowCreate="true"/>'
      : `<samlp:NameIDPolicy Format="${escapeXML(input.nameIDFormat)}" AllowCreate="true"/>`;
  return (
    `<samlp:AuthnRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}"` +
    ` ID="${escapeXML(input.requestID)}" Version="2.0" IssueInstant="${toSAMLInstant(input.issueInstant)}"` +
    ` Destination="${escapeXML(input.destination)}" ProtocolBinding="${BINDING_HTTP_POST}"` +
    ` AssertionConsumerServiceURL="${escapeXML(input.acsURL)}">` +
    `<saml:Issuer>${escapeXML(input.spEntityID)}</saml:Issuer>` +
    policy +
    '</samlp:AuthnRequest>'
  );
}

/**
 * SAML bindings §3.4.4.1 (HTTP-Redirect, DEFLATE encoding): raw DEFLATE (RFC 1951, no zlib header),
 * base64, then URL-encoded as `SAMLRequest`, with `RelayState` beside it (at most 80 bytes, §3.4.3).
 * The IdP's URL may already carry a query (Google Workspace's `?idpid=`), which is kept.
 */
export function redirectBindingURL(idpSSOURL: string, requestXML: string, relayState: string): string {
  if (new TextEncoder().encode(relayState).length > 80) {
    throw new RangeError('RelayState is limited to 80 bytes (SAML bindings §3.4.3)');
  }
  const url = new URL(idpSSOURL);
  url.searchParams.set('SAMLRequest', deflateRawSync(Buffer.from(requestXML, 'utf8')).toString('base64'));
  url.searchParams.set('RelayState', relayState);
  return url.toString();
}
