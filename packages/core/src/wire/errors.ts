import { z } from 'zod';

/** How the identity surface (`/api/auth/*`) answers an error: UPPER_SNAKE code, message, maybe a hint. */
export const AuthErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }),
});
export type AuthErrorBody = z.infer<typeof AuthErrorBody>;

/** How the RBAC surface (the pylon-cli contract) answers an error: a snake_case code beside the message. */
export const RBACErrorBody = z.object({ error: z.string(), message: z.string() });
export type RBACErrorBody = z.infer<typeof RBACErrorBody>;
