import { join } from 'node:path';

/** `~/.pylon`: the config file and, where no keyring exists, the session files. */
export function pylonDir(homeDir: string): string {
  return join(homeDir, '.pylon');
}

/** `PYLON_CONFIG_PATH`, else `~/.pylon/config.yaml`. */
export function configPath(env: Readonly<Record<string, string | undefined>>, homeDir: string): string {
  const override = env['PYLON_CONFIG_PATH'];
  return override !== undefined && override !== '' ? override : join(pylonDir(homeDir), 'config.yaml');
}

export function sessionsDir(homeDir: string): string {
  return join(pylonDir(homeDir), 'sessions');
}
