/**
 * The OS keyring as the CLI uses it: one secret per (service, account). Every method throws when
 * the platform has no usable keyring service (e.g. Linux without Secret Service).
 */
export interface KeyringPort {
  get(service: string, account: string): string | null;
  set(service: string, account: string, secret: string): void;
  /** True when something was deleted. */
  delete(service: string, account: string): boolean;
}

/** The keyring through `@napi-rs/keyring`, or null when its native module cannot load here. */
export async function loadNativeKeyring(): Promise<KeyringPort | null> {
  let module: typeof import('@napi-rs/keyring');
  try {
    module = await import('@napi-rs/keyring');
  } catch {
    return null;
  }
  const { Entry } = module;
  return {
    get: (service, account) => new Entry(service, account).getPassword() ?? null,
    set: (service, account, secret) => new Entry(service, account).setPassword(secret),
    delete: (service, account) => new Entry(service, account).deletePassword(),
  };
}
