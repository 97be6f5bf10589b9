import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type SAMLExpectations,
  SAMLValidationError,
  validateSAMLResponse,
} from '../../src/features/sso/saml/response-validation.js';
import { IDP_CERT, IDP_ENTITY_ID, signedResponse, toBase64 } from '../support/peers/saml-idp.js';

// A SAMLResponse is posted by the browser: anyone can send any bytes. Properties: only a typed
// SAMLValidationError escapes, and whatever is changed in a signed response, an accepted one
// names the person the IdP signed for — never someone an attacker wrote in.

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
const signed = signedResponse({
  spEntityID: SP,
  acsURL: ACS,
  requestID: REQUEST_ID,
  email: 'alice@acme.example',
  now: NOW,
});

/** The identity read, or the refusal's reason; anything else thrown fails the property. */
function validate(base64: string): { email: string; issuer: string } | string {
  try {
    const identity = validateSAMLResponse(base64, NOW, expectations);
    return { email: identity.email, issuer: identity.issuer };
  } catch (error) {
    if (error instanceof SAMLValidationError) return error.reason;
    throw error;
  }
}

// Edits an attacker would try on the signed XML: replace a span, insert markup, duplicate a
// region (signature wrapping), change the person.
const snippets = fc.constantFrom(
  '<saml:NameID>mallory@evil.example</saml:NameID>',
  'mallory@evil.example',
  '<!--x-->',
  '<![CDATA[mallory@evil.example]]>',
  '<!DOCTYPE r [<!ENTITY e "x">]>',
  '&e;',
  '<saml:Assertion ID="_evil">',
  '</saml:Assertion>',
  '"',
  '<',
  '>',
  ' ID="_x"',
  '',
);
const edit = fc.record({
  at: fc.nat(),
  length: fc.nat({ max: 40 }),
  insert: snippets,
  duplicate: fc.boolean(),
});

describe('SAMLResponse validation under mutation', () => {
  it('accepts the response the IdP signed', () => {
    expect(validate(signed.base64)).toEqual({ email: 'alice@acme.example', issuer: IDP_ENTITY_ID });
  });

  it('never throws anything but SAMLValidationError for arbitrary posted bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }).map(toBase64)),
        (body) => {
          const result = validate(body);
          expect(typeof result).toBe('string');
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('never names anyone but the signed person, whatever is edited in the XML', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        let xml = signed.xml;
        for (const { at, length, insert, duplicate } of edits) {
          const start = at % (xml.length + 1);
          const region = xml.slice(start, start + length);
          xml = xml.slice(0, start) + (duplicate ? region + region : insert) + xml.slice(start + length);
        }
        const result = validate(toBase64(xml));
        if (typeof result === 'string') return;
        expect(result).toEqual({ email: 'alice@acme.example', issuer: IDP_ENTITY_ID });
      }),
      { numRuns: 300 },
    );
  });
});
