import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashEmail, isValidEmail, normalizeEmail } from '../../src/email.js';

// Email addresses are the key of a person, of grants (by hash) and of SSO domain routing.

/**
 * The strict reference: RFC 5321 §4.1.2 Mailbox with a dot-string-or-quoted-free local part and
 * an LDH domain of at least two labels (RFC 1035 §2.3.1), §4.5.3.1 length limits. Pylon's check
 * may refuse more (it refuses every quoted local part), never less.
 */
function referenceAccepts(raw: string): boolean {
  const address = raw.trim().toLowerCase();
  if (address.length > 254) return false;
  const at = address.lastIndexOf('@');
  if (at <= 0 || address.indexOf('@') !== at) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64) return false;
  // Printable ASCII or UTF-8 (RFC 6531) in the local part, never controls, spaces or specials.
  if ([...local].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) return false;
  if (/[\s@<>()[\]\\,;:"]/.test(local)) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  return labels.every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label));
}

const localPart = fc.stringMatching(/^[a-zA-Z0-9._%+'!#$&*=?^`{|}~-]{1,20}$/);
const label = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?$/);
const plausible = fc
  .tuple(localPart, fc.array(label, { minLength: 2, maxLength: 4 }))
  .map(([local, labels]) => `${local}@${labels.join('.')}`);
const noisy = fc.oneof(
  fc.string({ maxLength: 80 }),
  plausible,
  fc
    .tuple(
      plausible,
      fc.constantFrom(' ', '\r\n', '\t', '\u0000', '<', '>', '"', ',', '@', '..', '\u00e9', 'Bcc: x'),
    )
    .chain(([address, noise]) =>
      fc
        .integer({ min: 0, max: address.length })
        .map((at) => address.slice(0, at) + noise + address.slice(at)),
    ),
);

describe('email addresses', () => {
  it('never accepts what the strict reference refuses (header injection, display names, bad domains)', () => {
    fc.assert(
      fc.property(noisy, (address) => {
        if (isValidEmail(address)) expect(referenceAccepts(address)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts the ordinary addresses the reference accepts', () => {
    fc.assert(
      fc.property(plausible, (address) => {
        fc.pre(referenceAccepts(address));
        expect(isValidEmail(address)).toBe(true);
      }),
    );
  });

  it('normalises idempotently, and the grant key depends only on the normal form', () => {
    fc.assert(
      fc.property(noisy, fc.constantFrom('', ' ', '  \t'), (address, pad) => {
        const normal = normalizeEmail(address);
        expect(normalizeEmail(normal)).toBe(normal);
        expect(hashEmail(`${pad}${address.toUpperCase()}${pad}`)).toBe(hashEmail(address.toLowerCase()));
        expect(hashEmail(address)).toMatch(/^[0-9a-f]{64}$/);
      }),
    );
  });

  it('the grant key is the SHA-256 of the normal form as UTF-8 (known answers)', () => {
    // `printf %s alice@example.com | sha256sum`, and the same for the non-ASCII address.
    expect(hashEmail('  Alice@Example.COM ')).toBe(
      'ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976',
    );
    expect(hashEmail('Élodie@Exemple.FR')).toBe(
      'f34116fa1fa2ab3840367c97ac2fc11e9e811bc3c424a1361abfc3d719c18e8c',
    );
  });
});
