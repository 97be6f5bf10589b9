import { CLIError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { type HTTPClient, serverError } from '../net/http-client.js';
import { classifyPoll, type DeviceAuthorization, SLOW_DOWN_STEP_SECONDS } from './device-flow.js';

export interface PollTiming {
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  now(): number;
  signal?: AbortSignal;
  /** Called before each poll (the spinner ticks). */
  onPoll?(attempt: number): void;
}

/**
 * RFC 8628 §3.4–3.5 polling: wait `interval`, ask, repeat until the person approves (the session
 * token), denies or lets the code expire (exit 4). `slow_down` adds 5 s to every later wait.
 */
export async function pollForSession(
  client: HTTPClient,
  authorization: DeviceAuthorization,
  timing: PollTiming,
): Promise<string> {
  const deadline = timing.now() + authorization.expires_in * 1000;
  let interval = authorization.interval;
  for (let attempt = 1; ; attempt++) {
    await timing.sleep(interval * 1000, timing.signal);
    if (timing.signal?.aborted) throw new CLIError(EXIT.interrupted, 'login interrupted');
    if (timing.now() >= deadline) throw expired('the code expired before it was approved');
    timing.onPoll?.(attempt);
    const request = {
      method: 'GET',
      path: '/device/poll',
      query: { device_code: authorization.device_code },
    } as const;
    const response = await client.send(request);
    const outcome = classifyPoll(response);
    switch (outcome.kind) {
      case 'pending':
        continue;
      case 'slow_down':
        interval += SLOW_DOWN_STEP_SECONDS;
        continue;
      case 'authorised':
        return outcome.sessionToken;
      case 'expired':
        // /device/poll answers a denial as `expired` too (docs/API.md), so either may be why.
        throw expired('the code expired or the sign-in was denied in the browser');
      case 'denied':
        throw expired('the sign-in was denied in the browser');
      case 'unexpected':
        if (response.status < 200 || response.status > 299) throw serverError(request, response);
        throw new CLIError(EXIT.generic, 'Pylon answered GET /device/poll with an unknown status');
    }
  }
}

function expired(message: string): CLIError {
  return new CLIError(
    EXIT.deviceExpired,
    `device authorisation failed: ${message}`,
    'run `pylon login` again',
  );
}
