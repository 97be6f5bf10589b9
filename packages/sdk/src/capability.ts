import { InvalidArgumentError } from './errors.js';

/**
 * The namespaced name (`<appId>:<name>`) of a capability given bare (`notes.read`) or already
 * namespaced for this app (`notes:notes.read`). Anything else is refused as a bug in the caller
 * rather than answered "no": a name that is not a string would otherwise pass through string
 * coercion (`['notes.read']` reads as `notes.read`), and another app's capability can never be in
 * this app's tokens, so asking for one is always a mistake.
 */
export function qualifyCapability(capability: unknown, appId: string): string {
  if (typeof capability === 'string' && capability !== '') {
    if (!capability.includes(':')) return `${appId}:${capability}`;
    if (capability.startsWith(`${appId}:`) && capability.length > appId.length + 1) return capability;
  }
  throw new InvalidArgumentError(`A capability is a string: a bare name or "${appId}:<name>"`);
}
