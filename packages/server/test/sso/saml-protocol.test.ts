import { inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import {
  buildAuthnRequest,
  createRequestID,
  redirectBindingURL,
} from '../../src/features/sso/saml/authn-request.js';
import { buildSPMetadata } from '../../src/features/sso/saml/metadata.js';
import {
  type SAMLExpectations,
  SAMLValidationError,
  validateSAMLResponse,
} from '../../src/features/sso/saml/response-validation.js';
import {
  ATTACKER_CERT,
  ATTACKER_KEY,
  assertionXML,
  goodFields,
  IDP_CERT,
  IDP_ENTITY_ID,
  responseXML,
  type SignedResponseInput,
  signElement,
  signedResponse,
  toBase64,
} from '../support/peers/saml-idp.js';

const NOW = Date.parse('2030-01-01T12:00:00Z');
const SP = 'https://pylon.test/api/auth/orgs/acme/saml/metadata';
const ACS = 'https://pylon.test/api/auth/orgs/acme/saml/acs';
const REQUEST_ID = '_0123456789abcdef0123456789abcdef01234567';

const expectations: SAMLExpectations = {
  idpEntityID: IDP_ENTITY_ID,
  idpCertPEM: IDP_CERT,
  spEntityID: SP,
  acsURL: ACS,
  requestID: REQUEST_ID,
  emailAttribute: null,
  nameAttribute: null,
};
const base: SignedResponseInput = {
  spEntityID: SP,
  acsURL: ACS,
  requestID: REQUEST_ID,
  email: 'Alice@Acme.example',
  now: NOW,
};

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SAMLValidationError) return error.reason;
    throw error;
  }
  throw new Error('accepted');
}

describe('SAML response validation (SAML profiles §4.1.4.3)', () => {
  it('accepts a signed assertion and reads the NameID as the email', () => {
    const { base64, assertionID } = signedResponse(base);
    const identity = validateSAMLResponse(base64, NOW, expectations);
    expect(identity).toMatchObject({
      issuer: IDP_ENTITY_ID,
      nameID: 'Alice@Acme.example',
      email: 'alice@acme.example',
      name: null,
      assertionID,
      replayUntil: NOW + 5 * 60_000 + 180_000,
    });
  });

  it('reads the email and name from attributes when configured', () => {
    const { base64 } = signedResponse({
      ...base,
      assertion: {
        nameIDXML: '00u1persistent',
        nameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        attributes: { mail: 'bob@acme.example', displayName: 'Bob Builder' },
      },
    });
    const identity = validateSAMLResponse(base64, NOW, {
      ...expectations,
      emailAttribute: 'mail',
      nameAttribute: 'displayName',
    });
    expect(identity).toMatchObject({
      nameID: '00u1persistent',
      email: 'bob@acme.example',
      name: 'Bob Builder',
    });
  });

  it('accepts a response signed as a whole (Keycloak’s default), reading the assertion inside it', () => {
    const { a, r } = goodFields(base);
    const xml = signElement(responseXML(r, IDP_ENTITY_ID, [assertionXML(a)]), r.responseID);
    expect(validateSAMLResponse(toBase64(xml), NOW, expectations).email).toBe('alice@acme.example');
  });

  it('refuses a signature made with another key, even when KeyInfo carries that key’s certificate', () => {
    const { base64 } = signedResponse({ ...base, key: ATTACKER_KEY, cert: ATTACKER_CERT });
    expect(refusal(() => validateSAMLResponse(base64, NOW, expectations))).toBe('signature_invalid');
  });

  it('refuses an assertion whose content changed after signing', () => {
    const { xml } = signedResponse(base);
    const tampered = xml.replace('Alice@Acme.example', 'admin@acme.example');
    expect(refusal(() => validateSAMLResponse(toBase64(tampered), NOW, expectations))).toBe(
      'signature_invalid',
    );
  });

  it('refuses an unsigned assertion', () => {
    const { a, r } = goodFields(base);
    const xml = responseXML(r, IDP_ENTITY_ID, [assertionXML(a)]);
    expect(refusal(() => validateSAMLResponse(toBase64(xml), NOW, expectations))).toBe('signature_missing');
  });

  it('XSW: an unsigned assertion placed before a signed one is never read', () => {
    const genuine = goodFields({ ...base, email: 'mallory@evil.example' }).a;
    const signed = signElement(assertionXML(genuine), genuine.assertionID);
    const forged = assertionXML({ ...genuine, assertionID: '_forged', nameIDXML: 'ceo@acme.example' });
    const { r } = goodFields(base);
    const xml = responseXML(r, IDP_ENTITY_ID, [forged, signed]);
    expect(refusal(() => validateSAMLResponse(toBase64(xml), NOW, expectations))).toBe('assertion_count');
  });

  it('XSW: the signed assertion moved inside the forged one (same ID) is refused', () => {
    const genuine = goodFields({ ...base, email: 'mallory@evil.example' }).a;
    const signed = signElement(assertionXML(genuine), genuine.assertionID);
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
    // The forged assertion keeps the genuine ID and carries the genuine signature, whose reference
    // then points at... two elements with that ID, or at the forged content: never accepted.
    const forged = assertionXML({ ...genuine, nameIDXML: 'ceo@acme.example' }).replace(
      '</saml:Issuer>',
      `</saml:Issuer>${signature}`,
    );
    const { r } = goodFields(base);
    const xml = responseXML(r, IDP_ENTITY_ID, [forged]);
    expect(refusal(() => validateSAMLResponse(toBase64(xml), NOW, expectations))).toBe('signature_invalid');
  });

  it('XSW: a signed response whose signature references an element other than itself is refused', () => {
    const { a, r } = goodFields(base);
    const signedAssertion = signElement(assertionXML(a), a.assertionID);
    // Move the assertion's signature up to the response: it still verifies, but covers the assertion.
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signedAssertion)![0];
    const unsigned = signedAssertion.replace(signature, '');
    const xml = responseXML(r, IDP_ENTITY_ID, [unsigned]).replace(
      '<samlp:Status>',
      `${signature}<samlp:Status>`,
    );
    expect(refusal(() => validateSAMLResponse(toBase64(xml), NOW, expectations))).toBe('signature_reference');
  });

  it('refuses a DOCTYPE before parsing', () => {
    const { xml } = signedResponse(base);
    const withDoctype = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]>${xml}`;
    expect(refusal(() => validateSAMLResponse(toBase64(withDoctype), NOW, expectations))).toBe(
      'doctype_forbidden',
    );
  });

  it('refuses a comment inside the NameID, which canonicalization would hide from the signature', () => {
    const { a, r } = goodFields({ ...base, email: 'user@evil.com.example.com' });
    const signed = signElement(assertionXML(a), a.assertionID);
    const split = signed.replace('user@evil.com.example.com', 'user@evil.com<!---->.example.com');
    const xml = responseXML(r, IDP_ENTITY_ID, [split]);
    expect(refusal(() => validateSAMLResponse(toBase64(xml), NOW, expectations))).toBe(
      'comment_in_assertion',
    );
  });

  it('reads a NameID split by CDATA whole', () => {
    const { a, r } = goodFields({ ...base, email: 'user@evil.com.example.com' });
    const split = assertionXML({ ...a, nameIDXML: 'user@evil.com<![CDATA[.example.com]]>' });
    const xml = responseXML(r, IDP_ENTITY_ID, [signElement(split, a.assertionID)]);
    expect(validateSAMLResponse(toBase64(xml), NOW, expectations).email).toBe('user@evil.com.example.com');
  });

  it('refuses an expired assertion (NotOnOrAfter more than 180 s ago)', () => {
    const { base64 } = signedResponse({
      ...base,
      assertion: { notBefore: NOW - 600_000, notOnOrAfter: NOW - 181_000 },
    });
    expect(refusal(() => validateSAMLResponse(base64, NOW, expectations))).toBe('expired');
  });

  it('tolerates 180 s of clock skew on NotOnOrAfter', () => {
    const { base64 } = signedResponse({
      ...base,
      assertion: { notBefore: NOW - 600_000, notOnOrAfter: NOW - 179_000 },
    });
    expect(validateSAMLResponse(base64, NOW, expectations).email).toBe('alice@acme.example');
  });

  it('refuses an assertion whose NotBefore is more than 180 s ahead', () => {
    const { base64 } = signedResponse({ ...base, assertion: { notBefore: NOW + 181_000 } });
    expect(refusal(() => validateSAMLResponse(base64, NOW, expectations))).toBe('not_yet_valid');
  });

  it('refuses another Audience', () => {
    const { base64 } = signedResponse({ ...base, assertion: { audience: 'https://other-sp.example' } });
    expect(refusal(() => validateSAMLResponse(base64, NOW, expectations))).toBe('audience_mismatch');
  });

  it('refuses another Recipient', () => {
    const { base64 } = signedResponse({ ...base, assertion: { recipient: 'https://other-sp.example/acs' } });
    expect(refusal(() => validateSAMLResponse(base64, NOW, expectations))).toBe('recipient_mismatch');
  });

  it('refuses another Destination', () => {
    const { base64 } = signedResponse({ ...base, response: { destination: 'https://other-sp.example/acs' } });
    expect(refusal(() => validateSAMLResponse(base64, NOW, expectations))).toBe('destination_mismatch');
  });

  it('refuses another Issuer', () => {
    const { base64 } = signedResponse({ ...base, assertion: { issuer: 'https://other-idp.example' } });
    expect(refusal(() => validateSAMLResponse(base64, NOW, expectations))).toBe('issuer_mismatch');
  });

  it('refuses an answer to another request (InResponseTo)', () => {
    const { base64 } = signedResponse({
      ...base,
      assertion: { inResponseTo: '_another' },
      response: { inResponseTo: null },
    });
    expect(refusal(() => validateSAMLResponse(base64, NOW, expectations))).toBe('in_response_to_mismatch');
  });

  it('refuses an unsolicited (IdP-initiated) response: no InResponseTo', () => {
    const { base64 } = signedResponse({
      ...base,
      assertion: { inResponseTo: null },
      response: { inResponseTo: null },
    });
    expect(refusal(() => validateSAMLResponse(base64, NOW, expectations))).toBe('in_response_to_mismatch');
  });

  it('refuses a non-Success status', () => {
    const { base64 } = signedResponse({
      ...base,
      response: { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder' },
    });
    expect(refusal(() => validateSAMLResponse(base64, NOW, expectations))).toBe('status_not_success');
  });

  it('refuses RSA-SHA1 signatures', () => {
    const { a, r } = goodFields(base);
    const signed = signElement(assertionXML(a), a.assertionID, undefined, undefined, {
      signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
      digest: 'http://www.w3.org/2000/09/xmldsig#sha1',
    });
    const xml = responseXML(r, IDP_ENTITY_ID, [signed]);
    expect(refusal(() => validateSAMLResponse(toBase64(xml), NOW, expectations))).toBe('signature_algorithm');
  });

  it('refuses a transient NameID and a NameID that is not an email', () => {
    const transient = signedResponse({
      ...base,
      assertion: { nameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' },
    });
    expect(refusal(() => validateSAMLResponse(transient.base64, NOW, expectations))).toBe(
      'nameid_format_unsupported',
    );
    const notEmail = signedResponse({ ...base, email: 'alice' });
    expect(refusal(() => validateSAMLResponse(notEmail.base64, NOW, expectations))).toBe('missing_email');
  });

  describe('bounds checked before any signature work', () => {
    /** An honestly signed response with `padding` in its (unsigned) samlp:Extensions. */
    const padded = (padding: string) =>
      toBase64(
        signedResponse(base).xml.replace(
          '<samlp:Status>',
          `<samlp:Extensions>${padding}</samlp:Extensions><samlp:Status>`,
        ),
      );

    it('accepts a response with 150 attributes signed both as a whole and in its assertion (the control)', () => {
      const { a, r } = goodFields({
        ...base,
        assertion: {
          attributes: Object.fromEntries(
            Array.from({ length: 150 }, (_, i) => [`urn:oid:1.3.6.1.4.1.5923.1.5.1.${i}`, `group-${i}`]),
          ),
        },
      });
      const assertion = signElement(assertionXML(a), a.assertionID);
      const xml = signElement(responseXML(r, IDP_ENTITY_ID, [assertion]), r.responseID);
      expect(validateSAMLResponse(toBase64(xml), NOW, expectations).email).toBe('alice@acme.example');
      expect(validateSAMLResponse(padded('<x/>'.repeat(500)), NOW, expectations).email).toBe(
        'alice@acme.example',
      );
    });

    it.each([
      ['38 000 empty siblings', '<x/>'.repeat(38_000)],
      ['1 000 siblings, just over the bound', '<x/>'.repeat(1000)],
      [
        '15 000 elements with ID attributes',
        Array.from({ length: 15_000 }, (_, i) => `<x ID="_${i}"/>`).join(''),
      ],
      ['nesting 20 000 deep', `${'<x>'.repeat(20_000)}${'</x>'.repeat(20_000)}`],
      ['nesting 33 deep under the Extensions', `${'<x>'.repeat(31)}${'</x>'.repeat(31)}`],
    ])('refuses %s as too_complex', (_name, padding) => {
      expect(refusal(() => validateSAMLResponse(padded(padding), NOW, expectations))).toBe('too_complex');
    });
  });

  it('takes the email only when sign-up would, checked as asserted before it is lowercased', () => {
    for (const odd of [
      '\u212Aate@evil.example', // KELVIN SIGN: lowercased, it is kate@evil.example
      'a,b;(c)@evil.example',
      'alice@acme.example,bob@evil.example',
      '\uFF41lice@acme.example', // fullwidth a
      'alice\u200B@acme.example',
      `${'a'.repeat(65)}@acme.example`,
    ]) {
      const { base64 } = signedResponse({ ...base, email: odd });
      expect(
        refusal(() => validateSAMLResponse(base64, NOW, expectations)),
        JSON.stringify(odd),
      ).toBe('missing_email');
    }
    // From an attribute too.
    const { base64 } = signedResponse({
      ...base,
      assertion: {
        nameIDXML: '00u1persistent',
        nameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        attributes: { mail: '\u212Aate@evil.example' },
      },
    });
    expect(
      refusal(() => validateSAMLResponse(base64, NOW, { ...expectations, emailAttribute: 'mail' })),
    ).toBe('missing_email');
  });

  it('refuses text that is not base64 or not XML', () => {
    expect(refusal(() => validateSAMLResponse('not base64!', NOW, expectations))).toBe('malformed');
    expect(refusal(() => validateSAMLResponse(toBase64('<a><b></a>'), NOW, expectations))).toBe('malformed');
  });
});

describe('SAML AuthnRequest (SAML core §3.4.1, bindings §3.4.4.1)', () => {
  it('deflates the request into the IdP URL, keeping its own query', () => {
    const random = { bytes: (n: number) => new Uint8Array(n).fill(0xab) };
    const requestID = createRequestID(random);
    expect(requestID).toMatch(/^_[0-9a-f]{40}$/);
    const xml = buildAuthnRequest({
      requestID,
      issueInstant: NOW,
      destination: 'https://accounts.example/o/saml2/idp?idpid=C01',
      acsURL: ACS,
      spEntityID: SP,
      nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    });
    const url = new URL(redirectBindingURL('https://accounts.example/o/saml2/idp?idpid=C01', xml, 'relay'));
    expect(url.searchParams.get('idpid')).toBe('C01');
    expect(url.searchParams.get('RelayState')).toBe('relay');
    const inflated = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString();
    const request = new DOMParser().parseFromString(inflated, 'text/xml').documentElement!;
    expect(request.localName).toBe('AuthnRequest');
    expect(request.getAttribute('ID')).toBe(requestID);
    expect(request.getAttribute('IssueInstant')).toBe('2030-01-01T12:00:00.000Z');
    expect(request.getAttribute('Destination')).toBe('https://accounts.example/o/saml2/idp?idpid=C01');
    expect(request.getAttribute('AssertionConsumerServiceURL')).toBe(ACS);
    expect(request.getAttribute('ProtocolBinding')).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(
      request.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Issuer')[0]?.textContent,
    ).toBe(SP);
  });

  it('refuses a RelayState over 80 bytes (bindings §3.4.3)', () => {
    expect(() => redirectBindingURL('https://idp.example/sso', '<x/>', 'r'.repeat(81))).toThrow(RangeError);
  });
});

describe('SP metadata (SAML metadata §2.4.4)', () => {
  it('names the entity, the POST ACS, the emailAddress NameID, and wants signed assertions', () => {
    const xml = buildSPMetadata({ spEntityID: SP, acsURL: ACS });
    const md = 'urn:oasis:names:tc:SAML:2.0:metadata';
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const entity = doc.documentElement!;
    expect(entity.localName).toBe('EntityDescriptor');
    expect(entity.getAttribute('entityID')).toBe(SP);
    const sp = doc.getElementsByTagNameNS(md, 'SPSSODescriptor')[0]!;
    expect(sp.getAttribute('AuthnRequestsSigned')).toBe('false');
    expect(sp.getAttribute('WantAssertionsSigned')).toBe('true');
    expect(sp.getAttribute('protocolSupportEnumeration')).toBe('urn:oasis:names:tc:SAML:2.0:protocol');
    expect(doc.getElementsByTagNameNS(md, 'NameIDFormat')[0]?.textContent).toBe(
      'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    );
    const acs = doc.getElementsByTagNameNS(md, 'AssertionConsumerService')[0]!;
    expect(acs.getAttribute('Binding')).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(acs.getAttribute('Location')).toBe(ACS);
  });
});
