import { z } from 'zod';
import { isPlainDisplayName, PLAIN_DISPLAY_NAME_MESSAGE } from '../display-text.js';

/** An org with the caller's role in it; `created_at` in seconds since the epoch. */
export const Org = z.object({ id: z.string(), name: z.string(), created_at: z.number(), role: z.string() });
export type Org = z.infer<typeof Org>;
export const OrgList = z.array(Org);
export type OrgList = z.infer<typeof OrgList>;
/** `GET /orgs/:id`: `role` null for a deployment admin who is no member. */
export const OrgView = Org.extend({ role: z.string().nullable() });
export type OrgView = z.infer<typeof OrgView>;

/**
 * `name` is plain display text (display-text.ts): it is shown in the console and put verbatim into
 * invitation emails' subject and body, where a line break would break the header and a bidi
 * override reorder what the invitee reads.
 */
export const CreateOrgRequest = z.object({
  name: z.string().trim().min(1).max(200).refine(isPlainDisplayName, `name ${PLAIN_DISPLAY_NAME_MESSAGE}`),
  id: z.string().optional(),
});
export type CreateOrgRequest = z.infer<typeof CreateOrgRequest>;
export const DeleteOrgResponse = z.object({ id: z.string(), deleted: z.literal(true) });
export type DeleteOrgResponse = z.infer<typeof DeleteOrgResponse>;

/**
 * `display_name`: the name the person gave or their IdP sent, null when none — the only readable
 * label of an SSO member whose IdP did not vouch for an email. The server always sends it; it is
 * optional here so that a newer client still reads an older server's answer.
 */
export const Member = z.object({
  user_id: z.string(),
  email: z.string().nullable(),
  display_name: z.string().nullable().optional(),
  role: z.string(),
  joined_at: z.number(),
});
export type Member = z.infer<typeof Member>;
export const MemberList = z.array(Member);
export type MemberList = z.infer<typeof MemberList>;

/** `role` is checked by the server itself (BAD_ROLE): owner, admin or member. */
export const ChangeMemberRoleRequest = z.object({ role: z.string() });
export type ChangeMemberRoleRequest = z.infer<typeof ChangeMemberRoleRequest>;
export const ChangeMemberRoleResponse = Member.omit({ email: true, display_name: true, joined_at: true });
export type ChangeMemberRoleResponse = z.infer<typeof ChangeMemberRoleResponse>;
export const RemoveMemberResponse = z.object({ user_id: z.string(), removed: z.literal(true) });
export type RemoveMemberResponse = z.infer<typeof RemoveMemberResponse>;

export const SelectOrgRequest = z.object({ orgId: z.string().nullable() });
export type SelectOrgRequest = z.infer<typeof SelectOrgRequest>;
export const SelectOrgResponse = z.object({ tenantId: z.string().nullable() });
export type SelectOrgResponse = z.infer<typeof SelectOrgResponse>;
