import { execFile } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The OS keyring as the CLI uses it: one secret per (service, account). Every method throws when
 * the platform has no usable keyring service (e.g. Linux without Secret Service).
 */
export interface KeyringPort {
  get(service: string, account: string): string | null;
  set(service: string, account: string, secret: string): void;
  /** True when something was deleted. */
  delete(service: string, account: string): boolean;
  /**
   * Whether the keyring behind this port keeps secrets across processes and reboots. False on
   * Linux and the BSDs when no Secret Service answers on D-Bus: `@napi-rs/keyring` then writes to
   * the kernel keyring (keyutils), whose session keyring can die with the process that wrote it.
   */
  hasDurableBackend(): Promise<boolean>;
  /** Resolves true when a new process reads exactly `secret` from (service, account). */
  readableByAnotherProcess(service: string, account: string, secret: string): Promise<boolean>;
}

const PROBE_TIMEOUT_MS = 5_000;

/** The keyring through `@napi-rs/keyring`, or null when its native module cannot load here. */
export async function loadNativeKeyring(): Promise<KeyringPort | null> {
  let module: typeof import('@napi-rs/keyring');
  let moduleURL: string;
  try {
    module = await import('@napi-rs/keyring');
    moduleURL = import.meta.resolve('@napi-rs/keyring');
  } catch {
    return null;
  }
  const { Entry } = module;
  return {
    get: (service, account) => new Entry(service, account).getPassword() ?? null,
    set: (service, account, secret) => new Entry(service, account).setPassword(secret),
    delete: (service, account) => new Entry(service, account).deletePassword(),
    hasDurableBackend: async () =>
      process.platform === 'darwin' || process.platform === 'win32' || (await secretServiceAnswers()),
    readableByAnotherProcess: async (service, account, secret) =>
      digestsEqual(await readDigestInNewProcess(moduleURL, service, account), sha256(secret)),
  };
}

// The child prints only a digest of what it read, so the secret never crosses a pipe.
const READ_BACK = `
const [url, service, account] = process.argv.slice(1);
const { Entry } = await import(url);
let secret = null;
try { secret = new Entry(service, account).getPassword() ?? null; } catch {}
const { createHash } = await import('node:crypto');
process.stdout.write(secret === null ? '' : createHash('sha256').update(secret).digest('hex'));
`;

function readDigestInNewProcess(moduleURL: string, service: string, account: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', READ_BACK, moduleURL, service, account],
      { timeout: PROBE_TIMEOUT_MS, windowsHide: true },
      (error, stdout) => resolve(error ? '' : String(stdout).trim()),
    );
  });
}

/**
 * Whether the Secret Service (freedesktop.org Secret Service API) answers on the session bus:
 * `org.freedesktop.DBus.Peer.Ping` on `org.freedesktop.secrets`, which also starts a
 * bus-activatable one (gnome-keyring, KWallet). Asked through whichever D-Bus command-line tool
 * the desktop ships; with no bus or no tool there is no Secret Service to rely on.
 */
async function secretServiceAnswers(): Promise<boolean> {
  const probes: Array<[string, string[]]> = [
    [
      'busctl',
      [
        '--user',
        `--timeout=${PROBE_TIMEOUT_MS / 1000}`,
        'call',
        'org.freedesktop.secrets',
        '/org/freedesktop/secrets',
        'org.freedesktop.DBus.Peer',
        'Ping',
      ],
    ],
    [
      'gdbus',
      [
        'call',
        '--session',
        '--timeout',
        String(PROBE_TIMEOUT_MS / 1000),
        '--dest',
        'org.freedesktop.secrets',
        '--object-path',
        '/org/freedesktop/secrets',
        '--method',
        'org.freedesktop.DBus.Peer.Ping',
      ],
    ],
    [
      'dbus-send',
      [
        '--session',
        '--print-reply',
        `--reply-timeout=${PROBE_TIMEOUT_MS}`,
        '--dest=org.freedesktop.secrets',
        '/org/freedesktop/secrets',
        'org.freedesktop.DBus.Peer.Ping',
      ],
    ],
  ];
  for (const [command, args] of probes) {
    const outcome = await run(command, args);
    if (outcome !== 'missing') return outcome === 'ok';
  }
  return false;
}

function run(command: string, args: string[]): Promise<'ok' | 'failed' | 'missing'> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: PROBE_TIMEOUT_MS + 1_000 }, (error) => {
      if (!error) return resolve('ok');
      resolve((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'failed');
    });
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function digestsEqual(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
