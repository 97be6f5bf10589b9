import { z } from 'zod';

/** Every sign-in answers this; `expires_at` is seconds since the epoch. */
export const signInResponse = z.object({
  token: z.string(),
  user_id: z.string(),
  expires_at: z.number().int(),
});
