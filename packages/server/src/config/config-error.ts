export type Env = Readonly<Record<string, string | undefined>>;

/** A configuration value Pylon refuses; the message always names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/**
 * Every refused value at once, so one restart fixes them all. `variable` is the first one's, and
 * the message lists each on its own line.
 */
export class ConfigErrors extends ConfigError {
  constructor(readonly errors: readonly ConfigError[]) {
    super(errors[0]!.variable, '');
    this.message = errors.map((error) => error.message).join('\n');
  }
}

/** Collects ConfigErrors (the first per variable) while the rest of the config is still parsed. */
export class ErrorCollector {
  readonly errors: ConfigError[] = [];

  add(error: ConfigError): void {
    const all = error instanceof ConfigErrors ? error.errors : [error];
    for (const one of all) {
      if (!this.errors.some((seen) => seen.variable === one.variable)) this.errors.push(one);
    }
  }

  /** The parsed value, or `fallback` with the error recorded. */
  take<T>(parse: () => T, fallback: T): T {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.add(error);
      return fallback;
    }
  }

  has(variable: string): boolean {
    return this.errors.some((error) => error.variable === variable);
  }

  throwIfAny(): void {
    if (this.errors.length === 1) throw this.errors[0]!;
    if (this.errors.length > 1) throw new ConfigErrors(this.errors);
  }
}
