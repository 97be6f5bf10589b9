import { PylonError } from '@pylon/core';
import { isLoopbackHost } from '../../config/config.js';

/**
 * An app's resource URL, as RFC 8707 §2 wants a resource indicator: an absolute URI without a
 * fragment. https only, except http on a loopback host in development (a local MCP server).
 * Returned as the URL parser normalises it, so a token request matches it exactly.
 */
export function checkResourceURL(value: string, env: 'development' | 'production'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PylonError('invalid_resource');
  }
  const loopbackHTTP = url.protocol === 'http:' && isLoopbackHost(url.hostname) && env === 'development';
  if ((url.protocol !== 'https:' && !loopbackHTTP) || url.hash !== '' || value.includes('#')) {
    throw new PylonError('invalid_resource');
  }
  if (url.username !== '' || url.password !== '') throw new PylonError('invalid_resource');
  return url.toString();
}
