import { PylonError } from '@pylon/core';
import {
  AcceptInviteResponse,
  CreateInviteRequest,
  InviteList,
  InviteResponse,
  WithdrawInviteResponse,
} from '@pylon/core/wire';
import { appendAudit } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import { mailFailureReason, renderInviteEmail } from '../../mail/index.js';
import { proveEmail, requireEmail } from '../identity/identity.js';
import { clientIP, requireSession } from '../identity/route-helpers.js';
import type { OrgsContext } from './feature.js';
import type { Invite } from './invite-store.js';
import { actorName, orgActor } from './org-access.js';
import { checkInvite, requireManager, requireOrgRole } from './policy.js';

const INVITE_TTL_SECONDS = 7 * 24 * 3600;
const seconds = (ms: number) => Math.floor(ms / 1000);

export function inviteRoutes(context: OrgsContext) {
  const { services, identity, orgs, invites, links } = context;
  return [
    defineRoute({
      method: 'post',
      path: '/orgs/:id/invites',
      summary: 'Invite someone by email (7 days, single use); the link to the hosted accept page is emailed',
      tags: ['orgs'],
      security: ['session', 'sessionCookie', 'adminToken'],
      body: handChecked(CreateInviteRequest, ['email', 'role']),
      responses: {
        201: { description: 'Invited', schema: InviteResponse },
        400: { description: 'MISSING_EMAIL, INVALID_EMAIL or BAD_ROLE' },
        403: { description: 'FORBIDDEN: members cannot invite; only owners invite owners' },
        404: { description: 'ORG_NOT_FOUND' },
        409: { description: 'ALREADY_MEMBER: the address is a member of the org' },
        500: { description: 'EMAIL_SEND_FAILED; the invite was withdrawn' },
      },
      handler: async (c, { body }) => {
        const orgId = c.req.param('id') ?? '';
        const email = requireEmail(body.email);
        const role = requireOrgRole(body.role ?? 'member');
        const actor = await orgActor(c, services, orgs, orgId);
        checkInvite(actor, role);
        const invitee = await identity.users.findByEmail(email);
        if (invitee && (await orgs.roleOf(orgId, invitee.id)) !== null)
          throw new PylonError('ALREADY_MEMBER', { message: 'That address is already a member of this org' });
        const org = (await orgs.find(orgId))!;
        const now = services.clock.now();
        const { token, invite } = await invites.create({
          orgId,
          email,
          role,
          invitedBy: actorName(actor),
          now,
          ttlSeconds: INVITE_TTL_SECONDS,
        });
        // The answer's link opens the hosted page; only the emailed one also proves the address
        // (invite-link.ts), since the inviter sees this answer.
        const acceptURL = `${services.config.publicURL}/invite/${token}`;
        const emailedURL = `${services.config.publicURL}/invite/${links.emailedSegment(token)}`;
        try {
          await services.mailer.send({
            to: email,
            ...renderInviteEmail({
              orgName: org.name,
              acceptURL: emailedURL,
              role,
              expiresInDays: INVITE_TTL_SECONDS / 86_400,
              brand: services.config.brand,
            }),
          });
        } catch (error) {
          // The reason only (a mail error's message): no address, token or link in the log.
          services.logger.error(
            { requestId: c.get('requestId'), orgId, inviteId: invite.id, reason: mailFailureReason(error) },
            'invite email failed',
          );
          await invites.revoke(orgId, invite.id);
          throw new PylonError('EMAIL_SEND_FAILED', { message: 'The invite could not be sent; try again' });
        }
        // Sent: an earlier pending invite to the address is replaced (only now, so a failed send
        // leaves it standing).
        await services.storage.db.transaction().execute(async (trx) => {
          if (!(await orgs.lock(trx, orgId))) throw new PylonError('ORG_NOT_FOUND');
          const replaced = await invites.withdrawEarlier(trx, invite);
          await appendAudit(trx, now, {
            org: orgId,
            action: 'org.invite_sent',
            actor: actorName(actor),
            target: email,
            detail: { invite_id: invite.id, role, ...(replaced.length > 0 ? { replaced } : {}) },
            ip: clientIP(c, services),
            requestId: c.get('requestId'),
          });
        });
        return c.json(
          {
            id: invite.id,
            email,
            role,
            expires_at: seconds(invite.expiresAt),
            accept_url: acceptURL,
            ...(services.config.env === 'development' ? { token } : {}),
          },
          201,
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orgs/:id/invites',
      summary: 'Pending invites (owners and admins)',
      tags: ['orgs'],
      security: ['session', 'sessionCookie', 'adminToken'],
      responses: {
        200: {
          description: 'Pending invites',
          schema: InviteList,
        },
        403: { description: 'FORBIDDEN' },
        404: { description: 'ORG_NOT_FOUND' },
      },
      handler: async (c) => {
        const orgId = c.req.param('id') ?? '';
        requireManager(await orgActor(c, services, orgs, orgId));
        const pending = await invites.listPending(orgId, services.clock.now());
        return c.json(
          pending.map((i) => ({ id: i.id, email: i.email, role: i.role, expires_at: seconds(i.expiresAt) })),
        );
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/orgs/:id/invites/:invite_id',
      summary: 'Withdraw a pending invite (owners and admins)',
      tags: ['orgs'],
      security: ['session', 'sessionCookie', 'adminToken'],
      responses: {
        200: { description: 'Withdrawn', schema: WithdrawInviteResponse },
        403: { description: 'FORBIDDEN' },
        404: { description: 'ORG_NOT_FOUND or INVITE_NOT_FOUND' },
      },
      handler: async (c) => {
        const orgId = c.req.param('id') ?? '';
        const inviteId = c.req.param('invite_id') ?? '';
        requireManager(await orgActor(c, services, orgs, orgId));
        if (!(await invites.revoke(orgId, inviteId)))
          throw new PylonError('INVITE_NOT_FOUND', { message: 'No such pending invite' });
        return c.json({ id: inviteId, revoked: true as const });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/invites/:token/accept',
      summary: 'A link emailed before the hosted invite page: to that page',
      tags: ['orgs'],
      responses: { 303: { description: 'To `GET /invite/{token}`' } },
      handler: (c) => c.redirect(`/invite/${encodeURIComponent(c.req.param('token') ?? '')}`, 303),
    }),
    defineRoute({
      method: 'post',
      path: '/invites/:token/accept',
      summary:
        'Accept an invite as the signed-in person it was sent to; with the emailed link this proves the address',
      tags: ['orgs'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Joined', schema: AcceptInviteResponse },
        401: { description: 'UNAUTHORIZED' },
        403: {
          description:
            'WRONG_EMAIL, or EMAIL_NOT_VERIFIED (an unverified account accepting with the bare token rather than the emailed link)',
        },
        404: { description: 'INVITE_NOT_FOUND (also when withdrawn, its org deleted or the link altered)' },
        409: { description: 'ALREADY_ACCEPTED or ALREADY_MEMBER' },
        410: { description: 'INVITE_EXPIRED' },
      },
      handler: async (c) => {
        const session = await requireSession(c, services);
        const accepted = await acceptInvite(c, context, c.req.param('token') ?? '', session);
        return c.json({ org_id: accepted.orgId, role: accepted.role });
      },
    }),
  ];
}

/** The person accepting: a session of theirs (never an API key, the admin token or a JWT). */
export interface InviteAcceptor {
  userId: string;
  sessionId: string;
  email: string | null;
  emailVerified: boolean;
}

/** An invite that can still be accepted, or the error saying why not (shared with the page). */
export function requireUsableInvite(invite: Invite | null, now: number): Invite {
  if (!invite) throw new PylonError('INVITE_NOT_FOUND');
  if (invite.acceptedAt !== null) throw new PylonError('ALREADY_ACCEPTED');
  if (invite.expiresAt <= now) throw new PylonError('INVITE_EXPIRED');
  return invite;
}

/**
 * Accept an invite from a link segment (bare token or the emailed link), for the JSON route and
 * the hosted page alike: one transaction checks it, proves the address when the emailed link is
 * used, adds the member and marks the invite used (once, on any process).
 */
export async function acceptInvite(
  c: AppContext,
  context: OrgsContext,
  segment: string,
  acceptor: InviteAcceptor,
): Promise<Invite> {
  const { services, identity, orgs, invites, links } = context;
  const now = services.clock.now();
  const ip = clientIP(c, services);
  const link = links.parse(segment);
  return services.storage.db.transaction().execute(async (trx) => {
    const invite = requireUsableInvite(link && (await invites.findByToken(trx, link.token)), now);
    if (acceptor.email !== invite.email) {
      throw new PylonError('WRONG_EMAIL');
    }
    if (link!.fromEmail) {
      // The emailed link proves the address (invite-link.ts). It is redeemed from a session of
      // this very account, like `POST /email/verify`: whoever holds that session signed in with
      // the account's credentials and also holds the mail, so that session and the credentials
      // stay and only the other sessions end. Without `proverSessionId` the invitee who signed up
      // with a password would lose it, and the session they just accepted from, at the moment
      // of joining. A squatter's planted session would need login CSRF, which the sign-in forms
      // refuse (same-origin check).
      await proveEmail(trx, identity, {
        userId: acceptor.userId,
        now,
        method: 'invite',
        proverSessionId: acceptor.sessionId,
        ip,
        requestId: c.get('requestId'),
      });
    } else if (!acceptor.emailVerified) {
      // The bare token was also shown to the inviter: without the emailed link anyone could
      // register the invited address with a password and take the seat.
      throw new PylonError('EMAIL_NOT_VERIFIED');
    }
    // An org deleted since the invite was read took its invites with it.
    if (!(await orgs.lock(trx, invite.orgId))) throw new PylonError('INVITE_NOT_FOUND');
    if ((await orgs.roleOf(invite.orgId, acceptor.userId, trx)) !== null) {
      throw new PylonError('ALREADY_MEMBER');
    }
    if (!(await invites.markAccepted(trx, invite.id, acceptor.userId, now))) {
      throw new PylonError('ALREADY_ACCEPTED');
    }
    await orgs.addMember(trx, invite.orgId, acceptor.userId, invite.role, now);
    const base = {
      org: invite.orgId,
      actor: acceptor.userId,
      target: acceptor.userId,
      ip,
      requestId: c.get('requestId'),
    };
    await appendAudit(trx, now, {
      ...base,
      action: 'org.invite_accepted',
      detail: { invite_id: invite.id, via: link!.fromEmail ? 'email_link' : 'token' },
    });
    await appendAudit(trx, now, {
      ...base,
      action: 'org.member_added',
      detail: { role: invite.role, via: 'invite' },
    });
    return invite;
  });
}
