import { z } from 'zod';

/** A device that may skip the second factor (`GET /api/auth/trusted-devices`); times in seconds. */
export const TrustedDevice = z.object({
  id: z.string(),
  /** The user agent that asked to be trusted. */
  label: z.string().nullable(),
  created_at: z.number().int(),
  last_used_at: z.number().int().nullable(),
  expires_at: z.number().int(),
});
export type TrustedDevice = z.infer<typeof TrustedDevice>;

export const TrustedDeviceList = z.object({ devices: z.array(TrustedDevice) });
export type TrustedDeviceList = z.infer<typeof TrustedDeviceList>;

export const TrustedDeviceRevokeResponse = z.object({ revoked_count: z.number().int() });
export type TrustedDeviceRevokeResponse = z.infer<typeof TrustedDeviceRevokeResponse>;
