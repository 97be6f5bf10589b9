import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secureRandom } from '../../src/crypto/random.js';
import {
  buildAuthorizationURL,
  checkDiscoveryDocument,
  createPKCE,
  OAuthProtocolError,
  readTokenResponse,
} from '../../src/features/oauth/protocol.js';

const ISSUER = 'https://idp.example.com';
const document = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/jwks`,
  userinfo_endpoint: `${ISSUER}/userinfo`,
};

describe('createPKCE (RFC 7636 §4.1, §4.2)', () => {
  it('makes a 43-character verifier and its S256 challenge, fresh each time', () => {
    const a = createPKCE(secureRandom);
    const b = createPKCE(secureRandom);
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.challenge).toBe(createHash('sha256').update(a.verifier).digest('base64url'));
    expect(a.verifier).not.toBe(b.verifier);
  });
});

describe('buildAuthorizationURL (RFC 6749 §4.1.1)', () => {
  it('sets every parameter and keeps the endpoint’s own query', () => {
    const url = new URL(
      buildAuthorizationURL('https://idp.example.com/authorize?tenant=acme', {
        clientId: 'c',
        redirectURI: 'https://pylon.example.com/cb',
        scope: 'openid email',
        state: 's',
        codeChallenge: 'x',
        nonce: 'n',
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: 'acme',
      response_type: 'code',
      client_id: 'c',
      redirect_uri: 'https://pylon.example.com/cb',
      scope: 'openid email',
      state: 's',
      code_challenge: 'x',
      code_challenge_method: 'S256',
      nonce: 'n',
    });
  });
});

describe('checkDiscoveryDocument (OpenID Connect Discovery §4.3)', () => {
  it('accepts a matching document', () => {
    expect(checkDiscoveryDocument(ISSUER, document)).toEqual(document);
  });

  it.each([
    ['not an object', 'nope'],
    ['another issuer', { ...document, issuer: 'https://evil.example.com' }],
    ['a missing endpoint', { ...document, token_endpoint: undefined }],
    ['a relative endpoint', { ...document, jwks_uri: '/jwks' }],
    [
      'an http endpoint under an https issuer',
      { ...document, token_endpoint: 'http://idp.example.com/token' },
    ],
  ])('refuses %s', (_label, candidate) => {
    expect(() => checkDiscoveryDocument(ISSUER, candidate)).toThrow(OAuthProtocolError);
  });
});

describe('readTokenResponse (RFC 6749 §5.1)', () => {
  it('reads a bearer token and an optional id_token', () => {
    expect(readTokenResponse({ access_token: 'a', token_type: 'Bearer', id_token: 'i' })).toEqual({
      accessToken: 'a',
      idToken: 'i',
    });
    expect(readTokenResponse({ access_token: 'a', token_type: 'bearer' }).idToken).toBeNull();
  });

  it.each([
    ['an error body', { error: 'bad_verification_code' }],
    ['no token type', { access_token: 'a' }],
    ['a non-bearer token', { access_token: 'a', token_type: 'mac' }],
    ['an empty token', { access_token: '', token_type: 'bearer' }],
    ['not an object', null],
  ])('refuses %s', (_label, body) => {
    expect(() => readTokenResponse(body)).toThrow(OAuthProtocolError);
  });
});
