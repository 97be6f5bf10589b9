/**
 * Whether opening a browser can work: a desktop session (macOS, Windows, or an X11/Wayland
 * display) and not a CI runner, where a browser would hang or pop up on nobody's screen.
 */
export function canOpenBrowser(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform,
): boolean {
  const ci = env['CI'];
  if (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') return false;
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env['DISPLAY'] || env['WAYLAND_DISPLAY']);
}
