import { isSlug, PylonError } from '@pylon/core';
import type { OrgRole } from '../../storage/schema.js';

/**
 * Who may do what in an org (docs/API.md "Organisations"). Pure: takes roles, returns or throws.
 * Owners do everything; admins manage members and invites but never touch owners; members read.
 */
export const ORG_ROLES: readonly OrgRole[] = ['owner', 'admin', 'member'];

/** The stronger of two roles (ORG_ROLES lists them strongest first). */
export function higherOrgRole(a: OrgRole, b: OrgRole): OrgRole {
  return ORG_ROLES.indexOf(a) <= ORG_ROLES.indexOf(b) ? a : b;
}

export function isOrgRole(value: unknown): value is OrgRole {
  return typeof value === 'string' && (ORG_ROLES as readonly string[]).includes(value);
}

export function requireOrgRole(value: unknown): OrgRole {
  if (!isOrgRole(value)) throw new PylonError('BAD_ROLE');
  return value;
}

/** The built-in `pylon` app's archetype an org role carries (docs/API.md "RBAC service"). */
export function archetypeForRole(role: OrgRole): 'pylon-admin' | 'pylon-user' {
  return role === 'member' ? 'pylon-user' : 'pylon-admin';
}

/** An actor: a member's role, or the deployment admin (the admin token), who may do anything. */
export type Actor = { kind: 'member'; role: OrgRole; userId: string } | { kind: 'admin' };

const forbidden = (message: string) => new PylonError('FORBIDDEN', { message: message });

export function requireManager(actor: Actor): void {
  if (actor.kind === 'member' && actor.role === 'member')
    throw forbidden('Only owners and admins manage members and invites');
}

export function requireOwner(actor: Actor, what: string): void {
  if (actor.kind === 'member' && actor.role !== 'owner') throw forbidden(`Only owners ${what}`);
}

/** Changing `target`'s role from `from` to `to`. */
export function checkRoleChange(actor: Actor, from: OrgRole, to: OrgRole): void {
  requireManager(actor);
  if (to === 'owner') requireOwner(actor, 'grant owner');
  if (from === 'owner') requireOwner(actor, 'change an owner');
}

/** Removing a member: anyone may leave; managers remove others; only owners remove owners. */
export function checkRemoval(actor: Actor, targetUserId: string, targetRole: OrgRole): void {
  if (actor.kind === 'member' && actor.userId === targetUserId) return;
  requireManager(actor);
  if (targetRole === 'owner') requireOwner(actor, 'remove an owner');
}

/** Inviting someone as `role`: managers invite; only owners invite owners. */
export function checkInvite(actor: Actor, role: OrgRole): void {
  requireManager(actor);
  if (role === 'owner') requireOwner(actor, 'invite an owner');
}

export function isOrgId(value: string): boolean {
  return isSlug(value);
}

/** A slug from a name (`Acme Corp.` → `acme-corp`), with a random suffix so it is free to take. */
export function orgIdFromName(name: string, suffix: string): string {
  const base = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');
  return base === '' ? `org-${suffix}` : `${base}-${suffix}`;
}
