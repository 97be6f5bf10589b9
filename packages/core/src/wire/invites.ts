import { z } from 'zod';

/** An invite; `accept_url` and `token` only in the answer that created it. */
export const InviteResponse = z.object({
  id: z.string(),
  email: z.string(),
  role: z.string(),
  expires_at: z.number(),
  accept_url: z.string().optional(),
  token: z.string().optional(),
});
export type InviteResponse = z.infer<typeof InviteResponse>;
export const PendingInvite = InviteResponse.omit({ accept_url: true, token: true });
export type PendingInvite = z.infer<typeof PendingInvite>;
export const InviteList = z.array(PendingInvite);
export type InviteList = z.infer<typeof InviteList>;

/** `role` defaults to member; email and role are checked by the server (INVALID_EMAIL, BAD_ROLE). */
export const CreateInviteRequest = z.object({ email: z.string(), role: z.string().optional() });
export type CreateInviteRequest = z.infer<typeof CreateInviteRequest>;
export const WithdrawInviteResponse = z.object({ id: z.string(), revoked: z.literal(true) });
export type WithdrawInviteResponse = z.infer<typeof WithdrawInviteResponse>;
export const AcceptInviteResponse = z.object({ org_id: z.string(), role: z.string() });
export type AcceptInviteResponse = z.infer<typeof AcceptInviteResponse>;
