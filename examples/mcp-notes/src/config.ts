export interface NotesConfig {
  orgUrl: string;
  orgId: string;
  port: number;
  host: string;
  /**
   * This server's resource URL (RFC 8707): `${NOTES_PUBLIC_URL}/mcp`, where clients reach it. The
   * app's `resource` in Pylon must be exactly this for OAuth access tokens to name it as `aud`.
   */
  resource: string;
}

/**
 * Read once at start-up; a missing or bad variable stops the process with a message naming it.
 * `PYLON_ORG_ID` defaults to the `{orgId}` of an `…/o/{orgId}` URL, else to `default`: the org a
 * deployment's own URL serves. The SDK's `/discover` check refuses a wrong guess by name.
 */
export function loadNotesConfig(env: Record<string, string | undefined>): NotesConfig {
  const orgUrl = env.PYLON_ORG_URL;
  if (!orgUrl) throw new Error('PYLON_ORG_URL is required, e.g. http://localhost:4000');
  const orgId = env.PYLON_ORG_ID || (/\/o\/([a-z0-9-]+)\/?$/.exec(orgUrl)?.[1] ?? 'default');
  const port = Number(env.NOTES_PORT ?? 3333);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error('NOTES_PORT must be a port number');
  const host = env.NOTES_HOST ?? '127.0.0.1';
  const publicURL = (
    env.NOTES_PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  ).replace(/\/+$/, '');
  return { orgUrl, orgId, port, host, resource: `${publicURL}/mcp` };
}
