import type { DB } from '../../storage/database.js';

/**
 * RFC 8176 method references for a sign-in method as Pylon's audit records it (`auth.sign_in`'s
 * `method`, e.g. `password`, `magic_code+trusted_device`, a TOTP step added as `+totp`). Methods
 * without a registered value (a social or SSO sign-in) contribute none.
 */
export function methodReferences(method: string): string[] {
  const parts = method.split('+');
  const amr = new Set<string>();
  for (const part of parts) {
    if (part === 'password' || part === 'password_reset') amr.add('pwd');
    else if (part === 'magic_code' || part === 'email_verification' || part === 'invite') amr.add('otp');
    else if (part === 'totp') amr.add('otp').add('mfa');
    else if (part === 'passkey') amr.add('hwk').add('user');
  }
  return [...amr].sort();
}

/**
 * When and how the person behind a session signed in (OIDC Core §2 `auth_time`, `amr`): the
 * session's authentication time, and the method its `auth.sign_in` audit entry recorded.
 */
export async function sessionFacts(
  db: DB,
  session: { id: string; userId: string },
): Promise<{ authTime: number; amr: string[] }> {
  const row = await db
    .selectFrom('sessions')
    .select(['created_at', 'authenticated_at'])
    .where('id', '=', session.id)
    .executeTakeFirst();
  const at = Number(row?.authenticated_at ?? row?.created_at ?? 0);
  const entries = await db
    .selectFrom('audit_events')
    .select('detail')
    .where('target', '=', session.userId)
    .where('action', '=', 'auth.sign_in')
    .orderBy('id', 'desc')
    .limit(20)
    .execute();
  let method = '';
  for (const entry of entries) {
    const detail = JSON.parse(entry.detail ?? '{}') as { method?: unknown; session_id?: unknown };
    if (detail.session_id === session.id && typeof detail.method === 'string') {
      method = detail.method;
      break;
    }
  }
  return { authTime: Math.floor(at / 1000), amr: methodReferences(method) };
}
