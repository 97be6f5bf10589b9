/**
 * Every PYLON_* variable something in this repository reads: the server (config.ts, mail/), the
 * `pylon` CLI, the SDK and the examples (an operator's shell often holds those too), and the test
 * suite. A name outside this list is most likely a typo, which would otherwise be ignored in
 * silence; `pylon-server` warns about it at start-up. test/config/config.test.ts checks the list against
 * the sources, so a new variable must be added here.
 */
const SERVER_VARIABLES = [
  'PYLON_ENV',
  'PYLON_DEV_MODE',
  'PYLON_ALLOW_DEV_ON_NETWORK',
  'PYLON_PORT',
  'PYLON_HOST',
  'PYLON_PUBLIC_URL',
  'PYLON_DATABASE_URL',
  'PYLON_DATABASE_POOL_SIZE',
  'PYLON_DATABASE_CONNECT_TIMEOUT_MS',
  'PYLON_DATABASE_STATEMENT_TIMEOUT_MS',
  'PYLON_DEPLOYMENT',
  'PYLON_SECRET',
  'PYLON_ADMIN_TOKEN',
  'PYLON_ORG_ID',
  'PYLON_ORG_HOSTS',
  'PYLON_ORG_HOST_TEMPLATE',
  'PYLON_TRUSTED_ORIGINS',
  'PYLON_TRUSTED_PROXIES',
  'PYLON_LOG_LEVEL',
  'PYLON_DATA_DIR',
  'PYLON_SESSION_TTL',
  'PYLON_CLI_SESSION_TTL',
  'PYLON_COOKIE_NAME',
  'PYLON_COOKIE_SECURE',
  'PYLON_COOKIE_SAMESITE',
  'PYLON_COOKIE_DOMAIN',
  'PYLON_BOOTSTRAP_ADMIN_EMAIL',
  'PYLON_OAUTH_DYNAMIC_REGISTRATION',
  'PYLON_OAUTH_ACCESS_TOKEN_TTL',
  'PYLON_OAUTH_REFRESH_TOKEN_TTL',
  'PYLON_BODY_LIMIT',
  'PYLON_SHUTDOWN_GRACE_MS',
  'PYLON_WORKERS',
  'PYLON_RATE_LIMIT_CODE_SENDS_PER_MINUTE',
  'PYLON_RATE_LIMIT_CODE_SENDS_PER_HOUR',
  'PYLON_RATE_LIMIT_CODE_VERIFICATIONS_PER_HOUR',
  'PYLON_RATE_LIMIT_PASSWORD_FAILURES',
  'PYLON_RATE_LIMIT_PASSWORD_FAILURES_PER_ACCOUNT_HOUR',
  'PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE',
  'PYLON_RATE_LIMIT_GUESTS_PER_IP_MINUTE',
  'PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR',
  'PYLON_GOOGLE_CLIENT_ID',
  'PYLON_GOOGLE_CLIENT_SECRET',
  'PYLON_GOOGLE_ISSUER',
  'PYLON_GOOGLE_SCOPES',
  'PYLON_GITHUB_CLIENT_ID',
  'PYLON_GITHUB_CLIENT_SECRET',
  'PYLON_GITHUB_URL',
  'PYLON_GITHUB_API_URL',
  'PYLON_GITHUB_SCOPES',
  'PYLON_API_KEY_PEPPER',
  'PYLON_JWT_ISSUERS',
  'PYLON_JWT_ISSUER',
  'PYLON_JWT_LIFETIME_SECS',
  'PYLON_JWT_SECRET',
  'PYLON_SSO_ALLOWED_DOMAINS',
  'PYLON_HIBP_URL',
  'PYLON_DISABLE_HIBP',
  'PYLON_CAPTCHA_PROVIDER',
  'PYLON_CAPTCHA_SECRET',
  'PYLON_AUDIT_RETENTION_DAYS',
  'PYLON_CAPTCHA_SITE_KEY',
  'PYLON_CAPTCHA_VERIFY_URL',
  'PYLON_METRICS_TOKEN',
  'PYLON_METRICS_PORT',
  'PYLON_BRAND_NAME',
  'PYLON_BRAND_LOGO_URL',
  'PYLON_BRAND_ACCENT',
  'PYLON_CF_ACCESS_TEAM_DOMAIN',
  'PYLON_CF_ACCESS_AUD',
  'PYLON_EMAIL_PROVIDER',
  'PYLON_EMAIL_FROM',
  'PYLON_SMTP_URL',
  'PYLON_EMAIL_ENDPOINT',
  'PYLON_EMAIL_API_KEY',
  'PYLON_EMAIL_BASE_URL',
] as const;

/** Read by the `pylon` CLI, the SDK, the examples and the test suite, not by the server. */
const CLIENT_AND_TEST_VARIABLES = [
  'PYLON_SESSION_TOKEN',
  'PYLON_APP_TOKEN',
  'PYLON_ORG_URL',
  'PYLON_KEYRING',
  'PYLON_CONFIG_PATH',
  'PYLON_CLI_VERSION_OVERRIDE',
  'PYLON_TEST_POSTGRES_URL',
] as const;

/**
 * Names from earlier Pylon documentation, each read as the variable it stands for. Setting both
 * names to different values is a configuration error.
 */
export const VARIABLE_ALIASES: Readonly<Record<string, string>> = {
  PYLON_OAUTH_GOOGLE_CLIENT_ID: 'PYLON_GOOGLE_CLIENT_ID',
  PYLON_OAUTH_GOOGLE_CLIENT_SECRET: 'PYLON_GOOGLE_CLIENT_SECRET',
  PYLON_OAUTH_GOOGLE_OIDC_ISSUER: 'PYLON_GOOGLE_ISSUER',
  PYLON_OAUTH_GOOGLE_SCOPES: 'PYLON_GOOGLE_SCOPES',
  PYLON_OAUTH_GITHUB_CLIENT_ID: 'PYLON_GITHUB_CLIENT_ID',
  PYLON_OAUTH_GITHUB_CLIENT_SECRET: 'PYLON_GITHUB_CLIENT_SECRET',
  PYLON_OAUTH_GITHUB_SCOPES: 'PYLON_GITHUB_SCOPES',
};

/**
 * Earlier names with no variable of their own: checked against what Pylon derives (the redirect
 * URIs come from PYLON_PUBLIC_URL) or refused with the reason (GitHub has no OIDC issuer).
 */
export const CHECKED_LEGACY_VARIABLES = [
  'PYLON_OAUTH_GOOGLE_REDIRECT',
  'PYLON_OAUTH_GITHUB_REDIRECT',
  'PYLON_OAUTH_GITHUB_OIDC_ISSUER',
] as const;

export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([
  ...SERVER_VARIABLES,
  ...CLIENT_AND_TEST_VARIABLES,
  ...Object.keys(VARIABLE_ALIASES),
  ...CHECKED_LEGACY_VARIABLES,
]);

/** The PYLON_* names in `env` that nothing reads, sorted (names only: values may be secrets). */
export function unknownVariables(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('PYLON_') && !KNOWN_VARIABLES.has(name))
    .sort();
}
