import { z } from 'zod';

/** `POST /api/auth/jwt`: a JWT for other services (`expires_at` in seconds, as `exp`). */
export const MintedJWTResponse = z.object({ token: z.string(), expires_at: z.number().int() });
export type MintedJWTResponse = z.infer<typeof MintedJWTResponse>;
