import { CLIError } from '../cli-error.js';
import type { CLIEnvironment } from '../environment.js';
import { EXIT } from '../exit-codes.js';
import { sessionsDir } from '../paths.js';
import { FileSessionStore } from './file-session-store.js';
import type { KeyringPort } from './keyring.js';

/** Keyring service and account of an org's session, as pylon-cli names them (docs/CLI.md "Sessions"). */
export const KEYRING_SERVICE = 'pylon-cli';
export const sessionAccount = (orgId: string): string => `session:${orgId}`;

export type SessionSource = 'env' | 'keyring' | 'file';

export interface Session {
  token: string;
  source: SessionSource;
  /** Where it lives, for `whoami`: the variable, the keyring entry or the file. */
  location: string;
}

/**
 * `PYLON_KEYRING`: `auto` (default) uses the OS keyring where it keeps secrets across processes
 * (macOS Keychain, Windows Credential Manager, a Secret Service on D-Bus) and a 0600 file
 * otherwise; `keyring` insists on the keyring (a failure exits 5); `file` never
 * touches the keyring (headless machines, containers, tests).
 */
export type KeyringMode = 'auto' | 'keyring' | 'file';

export function keyringMode(env: Readonly<Record<string, string | undefined>>): KeyringMode {
  const raw = env['PYLON_KEYRING'];
  if (raw === undefined || raw === '') return 'auto';
  if (raw === 'auto' || raw === 'keyring' || raw === 'file') return raw;
  throw new CLIError(EXIT.usage, `PYLON_KEYRING must be auto, keyring or file (got ${JSON.stringify(raw)})`);
}

const NO_KEYRING_MODULE = 'the keyring module is not available on this platform';
// The kernel keyring's copy can pass both read-backs (the new process inherits this one's session
// keyring) and still be gone for the next command the shell starts.
const NO_DURABLE_KEYRING =
  'no Secret Service answers on D-Bus, and the kernel keyring would not keep the session for the next command';

/**
 * Where an org's session is found and kept. `PYLON_SESSION_TOKEN` wins over every store (headless
 * runs and CI); otherwise the keyring, with the session file as its fallback.
 */
export class SessionVault {
  private readonly mode: KeyringMode;
  private readonly files: FileSessionStore;
  private keyring: Promise<KeyringPort | null> | undefined;

  constructor(private readonly environment: CLIEnvironment) {
    this.mode = keyringMode(environment.env);
    this.files = new FileSessionStore(sessionsDir(environment.homeDir));
  }

  /** The session commands use: the environment variable, else the stored one. */
  async find(orgId: string): Promise<Session | null> {
    const fromEnv = this.environment.env['PYLON_SESSION_TOKEN']?.trim();
    if (fromEnv) return { token: fromEnv, source: 'env', location: 'PYLON_SESSION_TOKEN' };
    return this.findStored(orgId);
  }

  async findStored(orgId: string): Promise<Session | null> {
    if (this.mode !== 'file') {
      const keyring = await this.openKeyring();
      if (keyring) {
        try {
          const token = keyring.get(KEYRING_SERVICE, sessionAccount(orgId));
          if (token) return { token, source: 'keyring', location: this.keyringLocation(orgId) };
        } catch (error) {
          // No keyring service here (the failing call is how we learn it): use the file instead.
          if (this.mode === 'keyring') throw keyringFailure('read', error);
        }
      } else if (this.mode === 'keyring') {
        throw keyringFailure('read', new Error(NO_KEYRING_MODULE));
      }
      if (this.mode === 'keyring') return null;
    }
    const token = await this.fileOperation('read', () => this.files.get(orgId));
    return token ? { token, source: 'file', location: this.files.location(orgId) } : null;
  }

  /**
   * Before a login asks anyone to approve it: with `keyring`, a keyring that could not keep the
   * session (none here, or only the kernel's) fails now with exit 5, not after the approval.
   */
  async checkStore(): Promise<void> {
    if (this.mode !== 'keyring') return;
    const keyring = await this.openKeyring();
    if (!keyring) throw keyringFailure('store', new Error(NO_KEYRING_MODULE));
    if (!(await keyring.hasDurableBackend())) throw keyringFailure('store', new Error(NO_DURABLE_KEYRING));
  }

  /**
   * Stores the session where the next process will find it. A keyring that accepts the write is
   * not enough: on Linux without a Secret Service the write lands in the kernel's session keyring,
   * which can die with this process. So the keyring is used only when a durable backend answers
   * (`keyring` mode fails, `auto` takes the file), and every keyring write is read back here and from a new process before it counts.
   */
  async save(orgId: string, token: string): Promise<Session> {
    if (this.mode !== 'file') {
      const keyring = await this.openKeyring();
      const account = sessionAccount(orgId);
      try {
        if (!keyring) throw new Error(NO_KEYRING_MODULE);
        // Also when the keyring was asked for: the kernel keyring's copy can pass both read-backs
        // (the new process inherits this one's session keyring) and still be gone for the next
        // command the shell starts.
        if (!(await keyring.hasDurableBackend())) throw new Error(NO_DURABLE_KEYRING);
        keyring.set(KEYRING_SERVICE, account, token);
        if (keyring.get(KEYRING_SERVICE, account) !== token) {
          throw new Error('the keyring accepted the session but does not give it back');
        }
        if (!(await keyring.readableByAnotherProcess(KEYRING_SERVICE, account, token))) {
          throw new Error('the keyring accepted the session but a new process cannot read it');
        }
        // An older session left in the file store would otherwise outlive a logout.
        await this.files.delete(orgId).catch(() => false);
        return { token, source: 'keyring', location: this.keyringLocation(orgId) };
      } catch (error) {
        // A copy that later processes may or may not see must not shadow the file.
        try {
          keyring?.delete(KEYRING_SERVICE, account);
        } catch {
          // Nothing was there, or there is no keyring service at all.
        }
        if (this.mode === 'keyring') throw keyringFailure('store', error);
      }
    }
    await this.fileOperation('store', () => this.files.set(orgId, token));
    return { token, source: 'file', location: this.files.location(orgId) };
  }

  /** Removes the org's session from every store; returns where one was found. */
  async remove(orgId: string): Promise<SessionSource[]> {
    const removed: SessionSource[] = [];
    if (this.mode !== 'file') {
      const keyring = await this.openKeyring();
      try {
        if (keyring?.delete(KEYRING_SERVICE, sessionAccount(orgId))) removed.push('keyring');
      } catch (error) {
        if (this.mode === 'keyring' && !isNoEntry(error)) throw keyringFailure('delete', error);
      }
    }
    // Also in keyring mode: a file left from a run without a keyring must not outlive a logout.
    if (await this.fileOperation('delete', () => this.files.delete(orgId))) removed.push('file');
    return removed;
  }

  private keyringLocation(orgId: string): string {
    return `OS keyring (service ${KEYRING_SERVICE}, account ${sessionAccount(orgId)})`;
  }

  private openKeyring(): Promise<KeyringPort | null> {
    this.keyring ??= this.environment.loadKeyring().catch(() => null);
    return this.keyring;
  }

  private async fileOperation<T>(verb: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw keyringFailure(verb, error, 'session file');
    }
  }
}

function isNoEntry(error: unknown): boolean {
  return error instanceof Error && /no (matching )?entry/i.test(error.message);
}

function keyringFailure(verb: string, error: unknown, store = 'OS keyring'): CLIError {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new CLIError(
    EXIT.keyring,
    `could not ${verb} the session in the ${store}: ${reason}`,
    store === 'OS keyring'
      ? 'set PYLON_KEYRING=file to keep sessions in ~/.pylon/sessions/ instead'
      : undefined,
  );
}
