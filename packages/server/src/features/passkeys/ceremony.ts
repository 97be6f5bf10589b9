import { PylonError } from '@pylon/core';
import type { PasskeyAuthenticationCredential, PasskeyRegistrationCredential } from '@pylon/core/wire';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { z } from 'zod';
import type { Config } from '../../config/config.js';
import { toBase64URL } from '../../crypto/random.js';
import type { Passkey } from './passkey-store.js';

/**
 * The WebAuthn ceremonies (WebAuthn L3 §7.1 registration, §7.2 authentication) over
 * @simplewebauthn/server, with Pylon's policy fixed here: the relying party is PYLON_PUBLIC_URL
 * (its host is the RP ID, its origin the only origin accepted), user verification is required,
 * and no attestation is asked for (a passkey proves possession, not a make of device).
 */

/** WebAuthn L3 §15.1 recommends 300–600 s when user verification is required. */
export const CHALLENGE_TTL_SECONDS = 300;

export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

export function relyingParty(config: Config): RelyingParty {
  const url = new URL(config.publicURL);
  return { id: url.hostname, origin: url.origin, name: 'Pylon' };
}

type RegistrationCredential = z.infer<typeof PasskeyRegistrationCredential>;
type AuthenticationCredential = z.infer<typeof PasskeyAuthenticationCredential>;

/**
 * The challenge the client says it signed, read from clientDataJSON to find the stored one; the
 * signature over clientDataJSON is checked afterwards, so a forged value only fails to match.
 */
export function claimedChallenge(clientDataJSON: string): string | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (parsed as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(challenge) ? challenge : null;
  } catch {
    return null;
  }
}

export function registrationOptions(
  rp: RelyingParty,
  input: { challenge: Uint8Array; userId: string; userName: string; exclude: Passkey[] },
) {
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    // The user handle is the opaque user id: no email or name (WebAuthn L3 §14.6.1).
    userID: new TextEncoder().encode(input.userId) as Uint8Array<ArrayBuffer>,
    userName: input.userName,
    challenge: input.challenge as Uint8Array<ArrayBuffer>,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: input.exclude.map((p) => ({ id: p.credentialId, transports: p.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
}

/** Sign-in options listing no credentials: every Pylon passkey is discoverable (above). */
export function authenticationOptions(rp: RelyingParty, input: { challenge: Uint8Array }) {
  return generateAuthenticationOptions({
    rpID: rp.id,
    challenge: input.challenge as Uint8Array<ArrayBuffer>,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    userVerification: 'required',
  });
}

export interface VerifiedRegistration {
  credentialId: string;
  publicKey: string;
  counter: number;
  transports: string[];
}

export async function verifyRegistration(
  rp: RelyingParty,
  credential: RegistrationCredential,
  challenge: string,
): Promise<VerifiedRegistration> {
  let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    result = await verifyRegistrationResponse({
      response: credential as Parameters<typeof verifyRegistrationResponse>[0]['response'],
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    });
  } catch {
    // The library's message can quote client data; the answer names no detail.
    throw new PylonError('INVALID_PASSKEY_REGISTRATION');
  }
  if (!result.verified) throw new PylonError('INVALID_PASSKEY_REGISTRATION');
  const { credential: made } = result.registrationInfo;
  return {
    credentialId: made.id,
    publicKey: toBase64URL(made.publicKey),
    counter: made.counter,
    transports: credential.response.transports ?? [],
  };
}

/** The assertion's new signature counter; INVALID_PASSKEY for any failure, a counter going back included. */
export async function verifyAssertion(
  rp: RelyingParty,
  credential: AuthenticationCredential,
  challenge: string,
  passkey: Passkey,
): Promise<number> {
  let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    result = await verifyAuthenticationResponse({
      response: credential as Parameters<typeof verifyAuthenticationResponse>[0]['response'],
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id: passkey.credentialId,
        publicKey: Buffer.from(passkey.publicKey, 'base64url') as Uint8Array<ArrayBuffer>,
        counter: passkey.counter,
        transports: passkey.transports,
      },
      requireUserVerification: true,
    });
  } catch {
    throw new PylonError('INVALID_PASSKEY');
  }
  if (!result.verified) throw new PylonError('INVALID_PASSKEY');
  return result.authenticationInfo.newCounter;
}
