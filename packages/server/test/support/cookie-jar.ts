/**
 * One browser's cookies, for in-process requests: what a response sets is sent back on the next
 * request through the same jar, as a browser would (path and domain are not modelled: one origin).
 * A second jar is a second browser.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly keep: (name: string) => boolean = () => true) {}

  /** Remember the cookies a response sets; a Max-Age=0 or past Expires removes one. */
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      if (!this.keep(name)) continue;
      const removed = attributes.some((attribute) => {
        const [key = '', value = ''] = attribute.split('=').map((part) => part.trim());
        if (key.toLowerCase() === 'max-age') return Number(value) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(value) <= Date.now();
        return false;
      });
      if (removed) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(at + 1).trim());
    }
  }

  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** The request init with this jar's Cookie header added. */
  apply(init: RequestInit = {}): RequestInit {
    if (this.cookies.size === 0) return init;
    const headers = new Headers(init.headers);
    headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    return { ...init, headers };
  }
}
