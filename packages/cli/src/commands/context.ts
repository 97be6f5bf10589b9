import type { Command } from 'commander';
import { CLIError } from '../cli-error.js';
import { ConfigError, type PylonConfig } from '../config/config.js';
import { loadConfig, saveConfig } from '../config/config-store.js';
import type { CLIEnvironment } from '../environment.js';
import { EXIT } from '../exit-codes.js';
import { HTTPClient } from '../net/http-client.js';
import { type DiscoveredOrg, discoverOrg } from '../org/discovery.js';
import { type OrgSelector, type ResolvedOrg, resolveOrg } from '../org/resolve-org.js';
import { Printer } from '../output/printer.js';
import { configPath } from '../paths.js';
import { type Session, SessionVault } from '../session/session-vault.js';
import { cliVersion } from '../version.js';

/** What every command is handed: the environment and the shared steps built on it. */
export class CommandContext {
  readonly printer: Printer;
  readonly version: string;
  readonly configPath: string;
  private vaultInstance: SessionVault | undefined;

  constructor(readonly environment: CLIEnvironment) {
    this.printer = new Printer(environment.stdout, environment.stderr);
    this.version = cliVersion(environment.env);
    this.configPath = configPath(environment.env, environment.homeDir);
  }

  get userAgent(): string {
    return `pylon-cli/${this.version}`;
  }

  /** Created on first use, so a bad PYLON_KEYRING only fails commands that need a session. */
  get vault(): SessionVault {
    this.vaultInstance ??= new SessionVault(this.environment);
    return this.vaultInstance;
  }

  async loadConfig(): Promise<PylonConfig> {
    try {
      return await loadConfig(this.configPath);
    } catch (error) {
      if (error instanceof ConfigError) throw new CLIError(EXIT.generic, error.message);
      throw new CLIError(EXIT.generic, `cannot read ${this.configPath}: ${(error as Error).message}`);
    }
  }

  async saveConfig(config: PylonConfig): Promise<void> {
    try {
      await saveConfig(this.configPath, config);
    } catch (error) {
      throw new CLIError(EXIT.generic, `cannot write ${this.configPath}: ${(error as Error).message}`);
    }
  }

  discover = (url: string, what = '--org-url'): Promise<DiscoveredOrg> =>
    discoverOrg(url, this.httpOptions(), what);

  async resolveOrg(selector: OrgSelector, config?: PylonConfig): Promise<ResolvedOrg> {
    const { stdin, stderr } = this.environment;
    return resolveOrg(selector, {
      config: config ?? (await this.loadConfig()),
      env: this.environment.env,
      discover: this.discover,
      prompt: stdin.isTTY && stderr.isTTY ? (question) => this.environment.prompt(question) : undefined,
    });
  }

  client(org: Pick<ResolvedOrg, 'api_url'>): HTTPClient {
    return new HTTPClient({ ...this.httpOptions(), baseURL: org.api_url });
  }

  /**
   * A client for the identity surface (`/api/auth/*`), which sits at the deployment's root: an
   * org's api_url is `<root>/o/<org>`, else the root is taken to be its origin.
   */
  identityClient(org: Pick<ResolvedOrg, 'id' | 'api_url'>, timeoutMs?: number): HTTPClient {
    const suffix = `/o/${org.id}`;
    const root = org.api_url.endsWith(suffix)
      ? org.api_url.slice(0, -suffix.length)
      : new URL(org.api_url).origin;
    return new HTTPClient({
      ...this.httpOptions(),
      baseURL: root,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }

  /**
   * The org's session, or exit 7. The hint names the login that works: by the URL when the org was
   * found through discovery on this run (it is not in the config, so `--org` would not find it).
   */
  async requireSession(org: Pick<ResolvedOrg, 'id' | 'api_url' | 'discovered'>): Promise<Session> {
    const session = await this.vault.find(org.id);
    if (!session) {
      const login = org.discovered ? `--org-url ${org.api_url}` : `--org ${org.id}`;
      throw new CLIError(
        EXIT.noSession,
        `no session for org \`${org.id}\``,
        `run \`pylon login ${login}\`, or set PYLON_SESSION_TOKEN`,
      );
    }
    return session;
  }

  /** The usual start of a command: the org, its client and a session. */
  async connect(selector: OrgSelector): Promise<{ org: ResolvedOrg; client: HTTPClient; session: Session }> {
    const org = await this.resolveOrg(selector);
    const session = await this.requireSession(org);
    return { org, client: this.client(org), session };
  }

  private httpOptions() {
    return {
      fetch: this.environment.fetch,
      userAgent: this.userAgent,
      signal: this.environment.interrupt,
    };
  }
}

/** `--org` and `--org-url`, on every command that talks to an org. */
export function withOrgOptions(command: Command): Command {
  return command
    .option('--org <id>', 'org id or alias from the config (else PYLON_ORG_ID, default_org)')
    .option('--org-url <url>', "the org's Pylon URL, resolved through /discover (else PYLON_ORG_URL)");
}

export function withJSONOption(command: Command): Command {
  return command.option('--json', 'print JSON for scripts instead of text');
}
