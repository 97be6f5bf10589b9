import { X509Certificate } from 'node:crypto';
import { PylonError } from '@pylon/core';
import type { Config } from '../../config/config.js';
import { ssoRedirectURI } from './sso-rules.js';

/** Where this SP lives for one org: its entity ID (the metadata URL, as Okta and Entra expect) and ACS. */
export function samlEndpoints(
  config: Pick<Config, 'env' | 'publicURL'>,
  orgId: string,
): { spEntityID: string; acsURL: string } | null {
  // The same rule as the OIDC redirect URI: an absolute https URL (http outside production).
  if (ssoRedirectURI(config, orgId) === null) return null;
  const base = `${config.publicURL.replace(/\/$/, '')}/api/auth/orgs/${encodeURIComponent(orgId)}/saml`;
  return { spEntityID: `${base}/metadata`, acsURL: `${base}/acs` };
}

/**
 * The IdP's signing certificate as PEM. Consoles hand it out with or without the PEM armour
 * (Entra's "Certificate (Base64)", Okta's "X.509 Certificate"); both are accepted.
 */
export function parseCertificate(raw: string): { pem: string; certificate: X509Certificate } {
  const body = raw.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (body === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new PylonError('VALIDATION_FAILED', { message: 'idp_x509_cert_pem is not a PEM certificate' });
  }
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  try {
    const certificate = new X509Certificate(pem);
    if (certificate.publicKey.asymmetricKeyType !== 'rsa') {
      throw new PylonError('VALIDATION_FAILED', {
        message: 'idp_x509_cert_pem must hold an RSA key (SAML IdPs sign with RSA-SHA256)',
      });
    }
    return { pem, certificate };
  } catch (error) {
    if (error instanceof PylonError) throw error;
    throw new PylonError('VALIDATION_FAILED', { message: 'idp_x509_cert_pem is not a PEM certificate' });
  }
}
