/** Pylon's RBAC error body, `{"error":"snake_code","message"?}` (docs/API.md), read defensively. */
export interface ServerError {
  status: number;
  code: string | undefined;
  message: string | undefined;
}

export async function readServerError(response: Response): Promise<ServerError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const { error, message } = (typeof body === 'object' && body !== null ? body : {}) as {
    error?: unknown;
    message?: unknown;
  };
  return {
    status: response.status,
    code: typeof error === 'string' ? error : undefined,
    message: typeof message === 'string' ? message : undefined,
  };
}

/** "Pylon returned 403 (app_disabled): This app is disabled" — the CLI's wording, no secrets. */
export function describeServerError(what: string, error: ServerError): string {
  const code = error.code === undefined ? '' : ` (${error.code})`;
  const message = error.message === undefined ? '' : `: ${error.message}`;
  return `${what}: Pylon returned ${error.status}${code}${message}`;
}
