import { constantTimeEqual, hkdfSha256, hmacSha256Hex } from '../../platform/node-crypto.js';

/** 128 bits of HMAC-SHA256 (hex): unguessable online, and short enough for a link. */
const MAC_HEX_LENGTH = 32;

/**
 * What an invite link's path segment carries. `fromEmail` is true only for the link the invite
 * email holds: only that link proves the invitee reads the mailbox the invite was sent to.
 */
export interface InviteLinkSegment {
  token: string;
  fromEmail: boolean;
}

/**
 * Invite links, in two forms. The inviter's answer (`POST /orgs/:id/invites`, `pylon invite
 * create`) carries the bare token, so that link proves nothing about the invitee's mailbox: any
 * person can create an org and invite an address they registered themselves. The emailed link adds
 * an HMAC of the token under a key derived from PYLON_SECRET (RFC 5869 HKDF, RFC 2104 HMAC) that
 * only the server and the email ever hold: `<token>.<mac>`. Both open the same invite; only the
 * emailed one counts as a first proof of the address (features/identity/email-proof.ts).
 */
export class InviteLinks {
  private readonly key: Uint8Array;

  constructor(secretHex: string) {
    this.key = hkdfSha256(Buffer.from(secretHex, 'hex'), 'pylon/invite-email-link/v1');
  }

  /** The path segment of the emailed link. */
  emailedSegment(token: string): string {
    return `${token}.${this.mac(token)}`;
  }

  /**
   * The token of a link segment, and whether it is the emailed form. A segment with a mark that
   * does not verify was altered: null, answered like an unknown invite.
   */
  parse(segment: string): InviteLinkSegment | null {
    const dot = segment.indexOf('.');
    if (dot === -1) return { token: segment, fromEmail: false };
    const token = segment.slice(0, dot);
    const mark = segment.slice(dot + 1);
    return constantTimeEqual(mark, this.mac(token)) ? { token, fromEmail: true } : null;
  }

  private mac(token: string): string {
    return hmacSha256Hex(this.key, token).slice(0, MAC_HEX_LENGTH);
  }
}
