import { BINDING_HTTP_POST, escapeXML, NAMEID_EMAIL, NS } from './xml.js';

export interface SPMetadataInput {
  spEntityID: string;
  acsURL: string;
}

/**
 * SAML metadata §2.4.4: the SP's descriptor, what an IdP admin uploads (Okta, Entra ID, Keycloak
 * read it; Google Workspace takes the two URLs by hand). AuthnRequestsSigned="false": requests go
 * unsigned over HTTP-Redirect and carry nothing the IdP must trust (the ACS URL it posts to is the
 * one registered here). WantAssertionsSigned="true": only signed assertions are accepted. No
 * KeyDescriptor: this SP neither signs nor accepts encrypted assertions.
 */
export function buildSPMetadata(input: SPMetadataInput): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<md:EntityDescriptor xmlns:md="${NS.metadata}" entityID="${escapeXML(input.spEntityID)}">` +
    `<md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="${NS.protocol}">` +
    `<md:NameIDFormat>${NAMEID_EMAIL}</md:NameIDFormat>` +
    `<md:AssertionConsumerService Binding="${BINDING_HTTP_POST}" Location="${escapeXML(input.acsURL)}" index="0" isDefault="true"/>` +
    '</md:SPSSODescriptor>' +
    '</md:EntityDescriptor>'
  );
}
