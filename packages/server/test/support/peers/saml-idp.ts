import { readFileSync } from 'node:fs';
import { SignedXml } from 'xml-crypto';

/**
 * A SAML IdP for tests: builds the Response a real IdP posts to the ACS (SAML profiles §4.1.4.2)
 * and signs it with xml-crypto and the committed test-only keys (test/fixtures/saml/README.md).
 * Every field can be overridden, so each negative test changes exactly one thing.
 */
const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/saml/${name}`, import.meta.url), 'utf8');

export const IDP_KEY = fixture('idp-key.pem');
export const IDP_CERT = fixture('idp-cert.pem');
export const ATTACKER_KEY = fixture('attacker-key.pem');
export const ATTACKER_CERT = fixture('attacker-cert.pem');
export const IDP_ENTITY_ID = 'https://idp.test.example/saml/metadata';

export interface AssertionFields {
  assertionID: string;
  issuer: string;
  /** Raw XML of the NameID's content, so a test can put a comment or CDATA inside it. */
  nameIDXML: string;
  nameIDFormat: string | null;
  audience: string;
  recipient: string;
  inResponseTo: string | null;
  issueInstant: number;
  notBefore: number;
  notOnOrAfter: number;
  attributes: Record<string, string>;
}

export interface ResponseFields {
  responseID: string;
  destination: string | null;
  inResponseTo: string | null;
  statusCode: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('"', '&quot;');

export function assertionXML(f: AssertionFields): string {
  const format = f.nameIDFormat === null ? '' : ` Format="${f.nameIDFormat}"`;
  const inResponseTo = f.inResponseTo === null ? '' : ` InResponseTo="${esc(f.inResponseTo)}"`;
  const attributes = Object.entries(f.attributes)
    .map(
      ([name, value]) =>
        `<saml:Attribute Name="${esc(name)}"><saml:AttributeValue>${esc(value)}</saml:AttributeValue></saml:Attribute>`,
    )
    .join('');
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${f.assertionID}" Version="2.0" IssueInstant="${iso(f.issueInstant)}">` +
    `<saml:Issuer>${esc(f.issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID${format}>${f.nameIDXML}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData NotOnOrAfter="${iso(f.notOnOrAfter)}" Recipient="${esc(f.recipient)}"${inResponseTo}/>` +
    '</saml:SubjectConfirmation></saml:Subject>' +
    `<saml:Conditions NotBefore="${iso(f.notBefore)}" NotOnOrAfter="${iso(f.notOnOrAfter)}">` +
    `<saml:AudienceRestriction><saml:Audience>${esc(f.audience)}</saml:Audience></saml:AudienceRestriction>` +
    '</saml:Conditions>' +
    `<saml:AuthnStatement AuthnInstant="${iso(f.issueInstant)}" SessionIndex="${f.assertionID}">` +
    '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>' +
    '</saml:AuthnStatement>' +
    (attributes === '' ? '' : `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>`) +
    '</saml:Assertion>'
  );
}

/** Wrap assertions (already signed or not) in a samlp:Response. */
export function responseXML(r: ResponseFields, issuer: string, assertions: string[]): string {
  const destination = r.destination === null ? '' : ` Destination="${esc(r.destination)}"`;
  const inResponseTo = r.inResponseTo === null ? '' : ` InResponseTo="${esc(r.inResponseTo)}"`;
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${r.responseID}" Version="2.0" IssueInstant="${new Date().toISOString()}"${destination}${inResponseTo}>` +
    `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${r.statusCode}"/></samlp:Status>` +
    assertions.join('') +
    '</samlp:Response>'
  );
}

/**
 * Sign the element with this ID as SAML core §5.4 asks: enveloped signature, exclusive c14n,
 * RSA-SHA256, placed right after the element's Issuer. The certificate goes in KeyInfo, as IdPs do.
 */
export function signElement(
  xml: string,
  id: string,
  key = IDP_KEY,
  cert = IDP_CERT,
  algorithms = {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha256',
  },
): string {
  const signer = new SignedXml({
    privateKey: key,
    publicCert: cert,
    signatureAlgorithm: algorithms.signature,
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  signer.addReference({
    xpath: `//*[@ID='${id}']`,
    digestAlgorithm: algorithms.digest,
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
  });
  signer.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return signer.getSignedXml();
}

export const toBase64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

export interface SignedResponseInput {
  spEntityID: string;
  acsURL: string;
  requestID: string;
  email: string;
  now: number;
  assertion?: Partial<AssertionFields>;
  response?: Partial<ResponseFields>;
  key?: string;
  cert?: string;
}

/** The fields of a good response to `requestID`, any of which a test may replace. */
export function goodFields(input: SignedResponseInput): { a: AssertionFields; r: ResponseFields } {
  const a: AssertionFields = {
    assertionID: `_a${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`,
    issuer: IDP_ENTITY_ID,
    nameIDXML: input.email,
    nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    audience: input.spEntityID,
    recipient: input.acsURL,
    inResponseTo: input.requestID,
    issueInstant: input.now,
    notBefore: input.now - 60_000,
    notOnOrAfter: input.now + 5 * 60_000,
    attributes: {},
    ...input.assertion,
  };
  const r: ResponseFields = {
    responseID: `_r${Math.random().toString(16).slice(2)}`,
    destination: input.acsURL,
    inResponseTo: input.requestID,
    statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
    ...input.response,
  };
  return { a, r };
}

/** A response whose assertion is signed (the common IdP default), base64 for the POST binding. */
export function signedResponse(input: SignedResponseInput): {
  xml: string;
  base64: string;
  assertionID: string;
} {
  const { a, r } = goodFields(input);
  const signed = signElement(assertionXML(a), a.assertionID, input.key, input.cert);
  const xml = responseXML(r, IDP_ENTITY_ID, [signed]);
  return { xml, base64: toBase64(xml), assertionID: a.assertionID };
}
