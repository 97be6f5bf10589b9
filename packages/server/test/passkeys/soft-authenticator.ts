import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

/**
 * A software authenticator for HTTP tests: an ES256 key (COSE alg -7) and the byte layouts of
 * WebAuthn L3 §6.1 (authenticator data), §6.5.4 ('none' attestation) and §6.3.3 (assertion
 * signature over authenticatorData ‖ SHA-256(clientDataJSON)), so the server's real verifier runs.
 */

type CBOR = number | Uint8Array | string | Map<CBOR, CBOR> | Record<string, never>;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  const b = Buffer.alloc(3);
  b[0] = (major << 5) | 25;
  b.writeUInt16BE(n, 1);
  return b;
}

/** The few CBOR types (RFC 8949 §3.1) a COSE key and an attestation object use. */
function cbor(value: CBOR): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string')
    return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

export interface CeremonyTweaks {
  origin?: string;
  rpID?: string;
  userVerified?: boolean;
  counter?: number;
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly privateKey: KeyObject;
  private readonly cosePublicKey: Buffer;
  counter = 0;
  userHandle: string | null = null;

  constructor(
    private readonly rpID: string,
    private readonly origin: string,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    // RFC 9053 §7.1.1: EC2 key, kty 2, alg -7 (ES256), crv 1 (P-256), x, y.
    this.cosePublicKey = cbor(
      new Map<CBOR, CBOR>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
  }

  get id(): string {
    return b64url(this.credentialId);
  }

  private authData(tweaks: CeremonyTweaks, counter: number, attested: boolean): Buffer {
    // Flags (§6.1): UP 0x01, UV 0x04, AT 0x40.
    const flags = 0x01 | (tweaks.userVerified === false ? 0 : 0x04) | (attested ? 0x40 : 0);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    const parts: Buffer[] = [sha256(tweaks.rpID ?? this.rpID), Buffer.from([flags]), count];
    if (attested) {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(this.credentialId.length);
      parts.push(Buffer.alloc(16), length, this.credentialId, this.cosePublicKey);
    }
    return Buffer.concat(parts);
  }

  private clientData(type: string, challenge: string, tweaks: CeremonyTweaks): Buffer {
    return Buffer.from(
      JSON.stringify({ type, challenge, origin: tweaks.origin ?? this.origin, crossOrigin: false }),
    );
  }

  /** A RegistrationResponseJSON answering creation options (navigator.credentials.create). */
  register(options: { challenge: string; user: { id: string } }, tweaks: CeremonyTweaks = {}) {
    this.userHandle = options.user.id;
    const attestationObject = cbor({
      fmt: 'none',
      attStmt: {},
      authData: this.authData(tweaks, tweaks.counter ?? this.counter, true),
    } as unknown as Record<string, never>);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(this.clientData('webauthn.create', options.challenge, tweaks)),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
    };
  }

  /** An AuthenticationResponseJSON answering request options; the counter rises unless told. */
  assert(options: { challenge: string }, tweaks: CeremonyTweaks = {}) {
    const counter = tweaks.counter ?? ++this.counter;
    const authenticatorData = this.authData(tweaks, counter, false);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, tweaks);
    const signature = sign(
      'sha256',
      Buffer.concat([authenticatorData, sha256(clientDataJSON)]),
      this.privateKey,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        ...(this.userHandle === null ? {} : { userHandle: this.userHandle }),
      },
      clientExtensionResults: {},
    };
  }
}
