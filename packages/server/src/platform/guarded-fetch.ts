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
import { isIP, type LookupFunction } from 'node:net';
import {
  GuardedFetchError,
  type GuardedFetchOptions,
  type GuardedResponse,
} from './guarded-fetch-contract.js';
import { isAllowedAddress } from './public-address.js';

export { isAllowedAddress };

export { type GuardedFetchOptions, GuardedFetchError, type GuardedResponse };

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
