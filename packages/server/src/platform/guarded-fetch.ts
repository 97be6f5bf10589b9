/**
 * GET a URL named by someone outside the deployment (an OAuth client's metadata document) without
 * letting them aim the server at its own network (SSRF): the address the socket actually connects
 * to is checked in the DNS look-up itself, so a name that resolves to a private address, or that
 * changes its answer between a check and the connection (DNS rebinding), is refused. Redirects are
 * not followed; the body is capped in bytes and the whole exchange in time.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface GuardedFetchOptions {
  /** Allow loopback addresses (and plain http to them): development only. */
  allowLoopback: boolean;
  maxBytes: number;
  timeoutMs: number;
}

export interface GuardedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class GuardedFetchError extends Error {}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Addresses no public document lives at (RFC 6890 special-purpose registries, abridged). */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
// IPv4-mapped addresses (::ffff:0:0/96) are judged as the IPv4 address they carry (below): a
// BlockList also matches IPv4 addresses against such an IPv6 rule, which would refuse them all.
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** Whether an address may be connected to under these options. */
export function isAllowedAddress(address: string, allowLoopback: boolean): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (allowLoopback && LOOPBACK.check(address, family)) return true;
  // An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return isAllowedAddress(mapped[1], allowLoopback);
  return !NON_PUBLIC.check(address, family);
}

function guardedLookup(allowLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as LookupAddress[];
      const refused = list.find((entry) => !isAllowedAddress(entry.address, allowLoopback));
      if (refused || list.length === 0) {
        return callback(new GuardedFetchError(`${hostname} resolves to a non-public address`), '', 0);
      }
      if ((options as { all?: boolean }).all) return callback(null, list as never, 0);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

export function guardedGet(target: URL, options: GuardedFetchOptions): Promise<GuardedResponse> {
  const plain = target.protocol === 'http:';
  if (!(target.protocol === 'https:' || (plain && options.allowLoopback))) {
    return Promise.reject(new GuardedFetchError('only https URLs are fetched'));
  }
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0 && !isAllowedAddress(literal, options.allowLoopback)) {
    return Promise.reject(new GuardedFetchError('the URL names a non-public address'));
  }
  if (plain && isIP(literal) === 0 && literal !== 'localhost') {
    return Promise.reject(new GuardedFetchError('plain http is only fetched from a loopback host'));
  }
  return new Promise((resolve, reject) => {
    const send = plain ? httpRequest : httpsRequest;
    const request = send(
      target,
      {
        method: 'GET',
        headers: { accept: 'application/json' },
        lookup: guardedLookup(options.allowLoopback),
        timeout: options.timeoutMs,
      },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            const error = new GuardedFetchError(`the document is larger than ${options.maxBytes} bytes`);
            reject(error);
            // Destroyed without an error: the promise already carries it, and an error emitted on a
            // stream after that would have no listener left and end the process.
            response.removeAllListeners('data');
            response.on('error', () => {});
            request.on('error', () => {});
            request.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    // The whole exchange, not only idle time, is bounded.
    const deadline = setTimeout(
      () => request.destroy(new GuardedFetchError(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on('close', () => clearTimeout(deadline));
    request.on('timeout', () => request.destroy(new GuardedFetchError('the request timed out')));
    request.on('error', (error) =>
      reject(error instanceof GuardedFetchError ? error : new GuardedFetchError(error.message)),
    );
    request.end();
  });
}
