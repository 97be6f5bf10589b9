import { z } from 'zod';

/**
 * `PUT /orgs/:id/saml`. Every field is optional here so that a missing one answers the documented
 * MISSING_FIELDS rather than a generic validation error.
 */
export const PutSAMLRequest = z.object({
  idp_entity_id: z.string().max(1024).optional(),
  idp_sso_url: z.string().max(2048).optional(),
  idp_x509_cert_pem: z.string().max(16_384).optional(),
  default_role: z.string().max(32).optional(),
  email_domains: z.array(z.string().max(253)).max(100).optional(),
  email_attribute: z.string().max(1024).nullable().optional(),
  name_attribute: z.string().max(1024).nullable().optional(),
});
export type PutSAMLRequest = z.infer<typeof PutSAMLRequest>;

/** The SAML connection as any member may read it: all of it is public (the certificate too). */
export const SAMLConnectionView = z.object({
  org_id: z.string(),
  kind: z.literal('saml'),
  idp_entity_id: z.string(),
  idp_sso_url: z.string(),
  idp_x509_cert_pem: z.string(),
  /** SHA-256 of the certificate (DER), colon-separated hex, as IdP consoles show it. */
  idp_cert_sha256: z.string(),
  /** The certificate's expiry, seconds since the epoch: rotate it at the IdP before then. */
  idp_cert_not_after: z.number(),
  default_role: z.enum(['member', 'admin']),
  email_domains: z.array(z.string()),
  email_attribute: z.string().nullable(),
  name_attribute: z.string().nullable(),
  /** What to register at the IdP; null when PYLON_PUBLIC_URL cannot serve. */
  sp_entity_id: z.string().nullable(),
  acs_url: z.string().nullable(),
});
export type SAMLConnectionView = z.infer<typeof SAMLConnectionView>;

/** SAML bindings §3.5.4: the HTTP-POST form an IdP submits to the ACS. */
export const SAMLACSForm = z.object({
  SAMLResponse: z.string().optional(),
  RelayState: z.string().max(512).optional(),
});
export type SAMLACSForm = z.infer<typeof SAMLACSForm>;
