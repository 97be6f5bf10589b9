/**
 * The security schemes a route may declare (`Route.security`), as the OpenAPI document describes
 * them (`components.securitySchemes`). Where a scheme's credential travels is also what the route
 * table reads to tell a request that carries none (http/anonymous.ts).
 */
export const SECURITY_SCHEMES = {
  session: { type: 'http', scheme: 'bearer', description: 'A session token (`pylon_…`)' },
  sessionCookie: { type: 'apiKey', in: 'cookie', name: 'pylon_session' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'PYLON_ADMIN_TOKEN' },
  appToken: { type: 'apiKey', in: 'header', name: 'X-Pylon-App-Token' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'PYLON_METRICS_TOKEN' },
} as const;

export type SecurityScheme = keyof typeof SECURITY_SCHEMES;
