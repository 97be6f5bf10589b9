import { z } from 'zod';

export const DeviceInitRequest = z.object({ client: z.string().min(1).max(200), org_id: z.string().max(64) });
export type DeviceInitRequest = z.infer<typeof DeviceInitRequest>;
/** `expires_in` and `interval` in seconds. */
export const DeviceInitResponse = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_url: z.string(),
  verification_url_complete: z.string(),
  expires_in: z.number(),
  interval: z.number(),
});
export type DeviceInitResponse = z.infer<typeof DeviceInitResponse>;

export const DevicePollQuery = z.object({ device_code: z.string().min(1).max(200) });
export type DevicePollQuery = z.infer<typeof DevicePollQuery>;
/** The session only with `authorised`, and only once. */
export const DevicePollResponse = z.object({
  status: z.enum(['pending', 'authorised', 'expired']),
  session_jwt: z.string().optional(),
  session_expires_at: z.number().optional(),
});
export type DevicePollResponse = z.infer<typeof DevicePollResponse>;

export const DeviceCompleteRequest = z.object({
  user_code: z.string().max(32),
  approve: z.union([z.boolean(), z.enum(['true', 'false'])]),
  csrf: z.string().max(100).optional(),
});
export type DeviceCompleteRequest = z.infer<typeof DeviceCompleteRequest>;
export const DeviceCompleteResponse = z.object({
  status: z.enum(['approved', 'denied']),
  client: z.string(),
});
export type DeviceCompleteResponse = z.infer<typeof DeviceCompleteResponse>;

/** RFC 8628 §3.1, as a form or JSON. */
export const OAuthDeviceAuthorizationRequest = z.object({
  client_id: z.string().max(200).optional(),
  scope: z.string().max(1000).optional(),
});
export type OAuthDeviceAuthorizationRequest = z.infer<typeof OAuthDeviceAuthorizationRequest>;
/** RFC 8628 §3.4; the grant type is checked by the handler (unsupported_grant_type). */
export const OAuthDeviceTokenRequest = z.object({
  grant_type: z.string().max(200).optional(),
  device_code: z.string().max(200).optional(),
});
export type OAuthDeviceTokenRequest = z.infer<typeof OAuthDeviceTokenRequest>;
