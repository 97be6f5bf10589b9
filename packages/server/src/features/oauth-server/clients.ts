import { hashToken } from '../../crypto/tokens.js';
import type { Services } from '../../http/context.js';
import { constantTimeEqual } from '../../platform/node-crypto.js';
import { type ClientDocumentCache, fetchClientDocument } from './client-document.js';
import type { ClientStore, StoredClient } from './client-store.js';

/** A client as the authorization server deals with it, wherever it was registered. */
export interface OAuthClient {
  clientId: string;
  clientName: string;
  redirectURIs: readonly string[];
  /** SHA-256 of the secret of a confidential client; null for a public one. */
  secretHash: string | null;
  /** `document`: a Client ID Metadata Document (the client id is its https URL). */
  kind: 'document' | 'admin' | 'dynamic';
  idTokenAlg: 'RS256' | 'EdDSA';
}

export type ClientLookup =
  | { kind: 'ok'; client: OAuthClient }
  | { kind: 'unknown' }
  /** A metadata document that could not be fetched or was refused; the reason is for the page. */
  | { kind: 'refused'; reason: string };

function fromStore(client: StoredClient): OAuthClient {
  return {
    clientId: client.clientId,
    clientName: client.clientName,
    redirectURIs: client.redirectURIs,
    secretHash: client.secretHash,
    kind: client.origin,
    idTokenAlg: client.idTokenAlg,
  };
}

/** A client id that names a metadata document: an absolute http(s) URL. */
export function isDocumentClientId(clientId: string): boolean {
  return clientId.startsWith('https://') || clientId.startsWith('http://');
}

/**
 * Finds the client a request names: stored clients by id (in the request's org), and clients whose
 * id is the https URL of their metadata document by fetching it (cached; see client-document.ts).
 */
export class ClientDirectory {
  constructor(
    private readonly services: Services,
    private readonly store: ClientStore,
    private readonly documents: ClientDocumentCache,
  ) {}

  async find(orgId: string, clientId: string): Promise<ClientLookup> {
    if (clientId === '' || clientId.length > 2048) return { kind: 'unknown' };
    if (isDocumentClientId(clientId)) {
      const fetched = await fetchClientDocument(this.services, this.documents, clientId);
      return fetched.kind === 'ok' ? { kind: 'ok', client: fetched.client } : fetched;
    }
    const stored = await this.store.find(orgId, clientId);
    return stored ? { kind: 'ok', client: fromStore(stored) } : { kind: 'unknown' };
  }
}

/**
 * RFC 6749 §2.3.1: a confidential client proves itself with its secret (compared as hashes, in
 * constant time); a public client must send none.
 */
export function authenticates(client: OAuthClient, secret: string | undefined): boolean {
  if (client.secretHash === null) return secret === undefined;
  if (secret === undefined) return false;
  return constantTimeEqual(hashToken(secret), client.secretHash);
}
