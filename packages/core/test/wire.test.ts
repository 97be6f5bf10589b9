import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as wire from '../src/wire/index.js';

// Bodies as the server answers them (recorded from its route tests), each beside a malformed twin:
// the field a client relies on missing, or of the wrong type or unit.
const cases: [name: string, schema: z.ZodType, good: unknown, bad: unknown][] = [
  [
    'SignInResponse',
    wire.SignInResponse,
    { token: 'pylon_abc', user_id: 'usr_1', expires_at: 1767225600 },
    { token: 'pylon_abc', user_id: 'usr_1', expires_at: '1767225600' },
  ],
  [
    'MagicSendResponse',
    wire.MagicSendResponse,
    { sent: true, email: 'ann@example.com', dev_code: '123456' },
    { sent: false, email: 'ann@example.com' },
  ],
  [
    'MeResponse',
    wire.MeResponse,
    {
      userId: null,
      email: null,
      emailVerified: false,
      isAdmin: false,
      isGuest: false,
      roles: [],
      tenantId: null,
      authMethod: 'none',
    },
    {
      userId: null,
      email: null,
      emailVerified: false,
      isAdmin: false,
      isGuest: false,
      tenantId: null,
      authMethod: 'none',
    },
  ],
  [
    'SessionList',
    wire.SessionList,
    [
      {
        id: 's1',
        token_prefix: 'pylon_ab',
        kind: 'web',
        device: null,
        ip: '127.0.0.1',
        created_at: 1,
        last_seen_at: 2,
        expires_at: 3,
        current: true,
      },
    ],
    [
      {
        id: 's1',
        token_prefix: 'pylon_ab',
        kind: 'web',
        created_at: 1,
        last_seen_at: 2,
        expires_at: 3,
        current: 'yes',
      },
    ],
  ],
  [
    'OrgList',
    wire.OrgList,
    [{ id: 'acme', name: 'Acme', created_at: 1767225600, role: 'owner' }],
    [{ id: 'acme', name: 'Acme', role: 'owner' }],
  ],
  [
    'OrgView',
    wire.OrgView,
    { id: 'acme', name: 'Acme', created_at: 1767225600, role: null },
    { id: 'acme', name: 'Acme', created_at: 1767225600 },
  ],
  [
    'MemberList',
    wire.MemberList,
    [{ user_id: 'usr_1', email: null, role: 'member', joined_at: 1 }],
    [{ user_id: 'usr_1', role: 'member', joined_at: 1 }],
  ],
  [
    'InviteResponse',
    wire.InviteResponse,
    {
      id: 'inv_1',
      email: 'bo@example.com',
      role: 'member',
      expires_at: 1,
      accept_url: 'http://localhost/invite/x',
      token: 'x',
    },
    { id: 'inv_1', email: 'bo@example.com', role: 'member' },
  ],
  [
    'APIKeyList',
    wire.APIKeyList,
    [
      {
        id: 'k1',
        prefix: 'pk.k1',
        name: null,
        scopes: [],
        expires_at: null,
        created_at: 1,
        last_used_at: null,
      },
    ],
    [
      {
        id: 'k1',
        prefix: 'pk.k1',
        name: null,
        scopes: 'all',
        expires_at: null,
        created_at: 1,
        last_used_at: null,
      },
    ],
  ],
  [
    'TOTPVerifyResponse',
    wire.TOTPVerifyResponse,
    { enabled: true, backup_codes: ['ABCD-EFGH'] },
    { enabled: false },
  ],
  [
    'UserPage',
    wire.UserPage,
    {
      users: [
        {
          user_id: 'usr_1',
          email: 'ann@example.com',
          email_verified: true,
          display_name: null,
          created_at: 1,
          disabled: false,
        },
      ],
      next_cursor: 'MQ',
    },
    { users: [{ user_id: 'usr_1' }] },
  ],
  [
    'AuditPage',
    wire.AuditPage,
    {
      entries: [
        {
          ts: 1767225600000,
          action: 'role.granted',
          actor: 'ann@example.com',
          actor_type: 'user',
          actor_id: 'usr_1',
          target_email: 'bo@example.com',
          detail: { app_id: 'notes' },
          org: 'default',
        },
      ],
    },
    { entries: [{ ts: '2026-01-01', action: 'role.granted' }] },
  ],
  [
    'AppList',
    wire.AppList,
    { apps: [{ app_id: 'notes', name: 'notes', owner: 'ann@example.com', status: 'active', created_at: 1 }] },
    { apps: [{ app_id: 'notes', name: 'notes', owner: 'ann@example.com', status: 'gone', created_at: 1 }] },
  ],
  [
    'RegisterAppResponse',
    wire.RegisterAppResponse,
    { app_id: 'phoenix', app_token: 'pyat_x' },
    { app_id: 'phoenix' },
  ],
  [
    'GrantList',
    wire.GrantList,
    {
      roles: [
        {
          email_hash: 'h',
          app_id: 'notes',
          archetype: 'notes:editor',
          granted_at: 1,
          granted_by: 'ann@example.com',
        },
      ],
    },
    { roles: [{ email_hash: 'h', app_id: 'notes' }] },
  ],
  [
    'RevokeRoleResponse',
    wire.RevokeRoleResponse,
    { app_id: 'example', email_hash: 'h', revoked: true },
    { app_id: 'example', email_hash: 'h', revoked: false },
  ],
  [
    'SchemaPushResponse',
    wire.SchemaPushResponse,
    {
      status: 'pending_approval',
      version: 2,
      current_version: 1,
      diff: { kind: 'destructive', changes: [{ type: 'archetype_removed', name: 'notes:viewer' }] },
    },
    { status: 'queued', version: 2 },
  ],
  [
    'ApproveMigrationResponse',
    wire.ApproveMigrationResponse,
    { status: 'approved', version: 2, roles_migrated: 3 },
    { status: 'approved', version: 2 },
  ],
  [
    'TokenResponse',
    wire.TokenResponse,
    { scoped_token: 'eyJ.x.y', ttl: 30, expires_at: 1767225630000 },
    { scoped_token: 'eyJ.x.y', ttl: 60, expires_at: 1767225630000 },
  ],
  [
    'WhoamiResponse',
    wire.WhoamiResponse,
    { email: 'ann@example.com', org_id: 'default', archetype: 'pylon:pylon-admin', session_expires_at: 1 },
    { email: 'ann@example.com', org_id: 'default' },
  ],
  [
    'BootstrapResponse',
    wire.BootstrapResponse,
    { email: 'ann@example.com', archetype: 'pylon-admin' },
    { email: 'ann@example.com', archetype: 'admin' },
  ],
  [
    'DeviceInitResponse',
    wire.DeviceInitResponse,
    {
      device_code: 'd',
      user_code: 'ABCD-EFGH',
      verification_url: 'http://localhost/device',
      verification_url_complete: 'http://localhost/device?user_code=ABCD-EFGH',
      expires_in: 600,
      interval: 5,
    },
    { device_code: 'd', user_code: 'ABCD-EFGH' },
  ],
  [
    'DevicePollResponse',
    wire.DevicePollResponse,
    { status: 'authorised', session_jwt: 'pylon_x', session_expires_at: 1 },
    { status: 'approved' },
  ],
  [
    'DiscoverResponse',
    wire.DiscoverResponse,
    { id: 'default', name: 'Default', api_url: 'http://localhost:4000' },
    { id: 'default', name: 'Default' },
  ],
  [
    'KeySet',
    wire.KeySet,
    { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AA', kid: 'k1', alg: 'EdDSA', use: 'sig' }] },
    { keys: [{ kty: 'RSA', n: 'AA', e: 'AQAB', kid: 'k1' }] },
  ],
  [
    'AuthErrorBody',
    wire.AuthErrorBody,
    { error: { code: 'MISSING_EMAIL', message: 'email is required' } },
    { error: 'missing_email', message: 'email is required' },
  ],
  [
    'RBACErrorBody',
    wire.RBACErrorBody,
    { error: 'app_not_found', message: 'No such app' },
    { error: { code: 'APP_NOT_FOUND', message: 'No such app' } },
  ],
];

describe('wire schemas', () => {
  it.each(cases)('%s accepts a recorded answer', (_name, schema, good) => {
    expect(schema.safeParse(good).success).toBe(true);
  });
  it.each(cases)('%s rejects a malformed one', (_name, schema, _good, bad) => {
    expect(schema.safeParse(bad).success).toBe(false);
  });

  it('request schemas keep the limits the server enforced inline', () => {
    expect(wire.CreateOrgRequest.safeParse({ name: '  ' }).success).toBe(false);
    expect(wire.CreateOrgRequest.parse({ name: ' Acme ' })).toEqual({ name: 'Acme' });
    expect(wire.AuditQuery.parse({ limit: '10', since: '0' })).toEqual({ limit: 10, since: 0 });
    expect(wire.AuditQuery.safeParse({ limit: String(wire.AUDIT_PAGE_MAX + 1) }).success).toBe(false);
    expect(wire.DeviceCompleteRequest.safeParse({ user_code: 'ABCD-EFGH', approve: 'true' }).success).toBe(
      true,
    );
    expect(wire.DeviceCompleteRequest.safeParse({ user_code: 'ABCD-EFGH', approve: 'yes' }).success).toBe(
      false,
    );
    expect(
      wire.GrantRoleRequest.safeParse({
        email: 'a@b.c',
        app_id: 'x',
        archetype: 'y',
        capabilities: Array(201).fill('c'),
      }).success,
    ).toBe(false);
  });
});
