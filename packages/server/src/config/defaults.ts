/**
 * Every default Pylon uses, in one place, each with the reason it has that value.
 * Config parsing (config.ts) reads these; nothing else hard-codes them.
 */
export const DEFAULTS = {
  /** The port the README promises a newcomer. */
  port: 4000,
  /** Loopback-only by default: a development server must not be reachable from the network. */
  host: 'localhost',
  /** Embedded SQLite next to the working directory, so `npm start` needs nothing installed. */
  databaseURL: 'sqlite:./data/pylon.db',
  env: 'development',
  /** The org created at first start; its RBAC surface is also served at the root. */
  orgId: 'default',
  logLevel: 'info',
  /** 30 days for browser sessions. */
  sessionTTLSeconds: 30 * 24 * 3600,
  /** 24 h for sessions minted by device login (docs/API.md `GET /device/poll`). */
  cliSessionTTLSeconds: 24 * 3600,
  cookieSameSite: 'lax',
  /** The session cookie's base name; where it is Secure a `__Host-`/`__Secure-` prefix is added. */
  cookieName: 'pylon_session',
  /** 1 MiB: far above any legitimate JSON body (a prepared schema is the largest), far below abuse. */
  bodyLimitBytes: 1024 * 1024,
  /** How long graceful shutdown waits for in-flight requests before closing anyway. */
  shutdownGraceMs: 10_000,
  /** Key set `Cache-Control: max-age` (docs/OPERATIONS.md): how long a verifier may keep a copy. */
  keySetMaxAgeSeconds: 300,
  /**
   * How long a process trusts its in-memory view of the signing keys before re-reading the table:
   * a rotation made by another process is published (and a rotated-in key signs) within it.
   */
  keyTableRefreshSeconds: 30,
  /** Scoped token lifetime (`exp` = `iat` + 30); a retired key is kept until its last token expired. */
  scopedTokenTTLSeconds: 30,
  /** `POST /api/auth/jwt` token lifetime (PYLON_JWT_LIFETIME_SECS): 15 minutes, re-minted by the caller. */
  jwtLifetimeSeconds: 900,
  /**
   * OAuth access tokens (PYLON_OAUTH_ACCESS_TOKEN_TTL): 5 minutes, so a grant change or a revoked
   * consent reaches every resource server within that, while clients refresh rarely.
   */
  oauthAccessTokenTTLSeconds: 300,
  /** OAuth refresh tokens (PYLON_OAUTH_REFRESH_TOKEN_TTL): 30 days unused; each use rotates it. */
  oauthRefreshTokenTTLSeconds: 30 * 24 * 3600,
  /** Identity rate limits (docs/API.md); each has a PYLON_RATE_LIMIT_* variable (see config.ts). */
  rateLimits: {
    /** Code and link sends (magic, reset, verification) per email. */
    codeSendsPerMinute: 1,
    codeSendsPerHour: 10,
    /** Code checks per email, across purposes. */
    codeVerificationsPerHour: 30,
    /** Failed passwords per (IP, account) in 15 minutes before the doubling lock starts at 1 min. */
    passwordFailures: 5,
    passwordFailuresPerAccountHour: 30,
    signInsPerIPMinute: 60,
    guestsPerIPMinute: 10,
    /**
     * Password registrations per IP: `EMAIL_TAKEN` tells whether an address has an account (the
     * pylonsync contract's clients rely on it), so probing for accounts is what this budget limits.
     */
    registrationsPerIPHour: 30,
  },
  /** Social sign-in endpoints; overridable so a deployment can point at a proxy (or tests at a peer). */
  googleIssuer: 'https://accounts.google.com',
  /** The OpenID Connect scopes sign-in needs: the subject, a verified email, and a display name. */
  googleScopes: 'openid email profile',
  /** Profile and the `/user/emails` list (the primary verified address). */
  githubScopes: 'read:user user:email',
  githubURL: 'https://github.com',
  githubAPIURL: 'https://api.github.com',
  /** How long an OAuth state (and its PKCE verifier and nonce) may wait for the callback. */
  oauthStateTTLSeconds: 10 * 60,
  /**
   * The longest lifetime accepted from an external issuer's token. A day covers identity-aware
   * proxies (Cloudflare Access assertions live as long as the Access session, 24 h by default);
   * tighten it per issuer with `max_lifetime_seconds`.
   */
  externalJWTMaxLifetimeSeconds: 24 * 60 * 60,
  /** Clock difference tolerated on external issuers' tokens, in seconds. */
  externalJWTSkewSeconds: 60,
  /** Where the development secret is generated when PYLON_SECRET is unset. */
  dataDir: './data',
  /** Have I Been Pwned's Pwned Passwords range API (k-anonymity: only 5 hex of the SHA-1 leave). */
  hibpURL: 'https://api.pwnedpasswords.com',
  /**
   * The breached-password check fails open, so its wait is short: a sign-up never stalls for long
   * on an unreachable service (an offline machine fails at DNS, well inside it).
   */
  hibpTimeoutMs: 2_000,
  /** The captcha check fails closed: a provider slower than this refuses the request. */
  captchaTimeoutMs: 5_000,
} as const;

/**
 * How long a rotated-in key waits before it signs (docs/OPERATIONS.md): every running process
 * publishes it within one key-table refresh, and a copy of the key set a verifier fetched before
 * that has expired one key-set max-age later, so every verifier holds the key when it signs.
 */
export const KEY_ROTATION_DELAY_SECONDS = DEFAULTS.keySetMaxAgeSeconds + DEFAULTS.keyTableRefreshSeconds;
