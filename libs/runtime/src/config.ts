import { readFileSync } from 'node:fs';

// The one config loader: every process declares the variables it reads, with their types
// and defaults, and gets a typed object or a ConfigError naming the variable and the fault.

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** A PEM file a setting names: its path (for git) and its content (for Node's TLS). */
export interface PemFile {
  readonly path: string;
  readonly pem: Buffer;
}

export interface Setting<T> {
  readonly variable: string;
  /** Turns the raw value (undefined when unset or empty) into T, or throws a ConfigError. */
  read(raw: string | undefined): T;
}

/** The values loadConfig reads for the settings `S`. */
export type SettingValues<S> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** Thrown by a parser to say what is wrong with a raw value. */
class Invalid extends Error {}

function setting<T>(
  variable: string,
  fallback: T | undefined,
  parse: (raw: string) => T,
): Setting<T> {
  return {
    variable,
    read(raw) {
      if (raw === undefined || raw.trim() === '') {
        if (fallback === undefined) throw new ConfigError(variable, `${variable} is required`);
        return fallback;
      }
      try {
        return parse(raw.trim());
      } catch (err) {
        if (!(err instanceof Invalid)) throw err;
        throw new ConfigError(variable, `${variable}=${JSON.stringify(raw)} ${err.message}`);
      }
    },
  };
}

function integer(raw: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw)) throw new Invalid(`is not an integer (expected ${min}..${max})`);
  const n = Number(raw);
  if (n < min || n > max) throw new Invalid(`is out of range (expected ${min}..${max})`);
  return n;
}

export const env = {
  /** A string; required when no default is given. */
  string(variable: string, fallback?: string): Setting<string> {
    return setting(variable, fallback, (raw) => raw);
  },
  /** A string that may be unset. */
  optional(variable: string): Setting<string | undefined> {
    return { variable, read: (raw) => (raw === undefined || raw.trim() === '' ? undefined : raw) };
  },
  int(variable: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): Setting<number> {
    return setting(variable, fallback, (raw) => integer(raw, min, max));
  },
  /** A decimal number (e.g. an amount of USD) in min..max. */
  number(variable: string, fallback: number, min = 0, max = Number.MAX_VALUE): Setting<number> {
    return setting(variable, fallback, (raw) => {
      const n = /^-?(\d+\.?\d*|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isFinite(n)) throw new Invalid(`is not a number (expected ${min}..${max})`);
      if (n < min || n > max) throw new Invalid(`is out of range (expected ${min}..${max})`);
      return n;
    });
  },
  /** A TCP port; 0 asks the OS for a free one. */
  port(variable: string, fallback: number): Setting<number> {
    return setting(variable, fallback, (raw) => {
      if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
        throw new Invalid('is not a port number (expected an integer 0..65535)');
      }
      return Number(raw);
    });
  },
  boolean(variable: string, fallback: boolean): Setting<boolean> {
    return setting(variable, fallback, (raw) => {
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new Invalid('is not a boolean (expected true or false)');
    });
  },
  oneOf<const T extends string>(variable: string, choices: readonly T[], fallback: T): Setting<T> {
    return setting(variable, fallback, (raw) => {
      if (!(choices as readonly string[]).includes(raw)) {
        throw new Invalid(`is not one of ${choices.join(', ')}`);
      }
      return raw as T;
    });
  },
  /** The path of a PEM file, read at once: unset is undefined; a file that cannot be read
   * or holds no PEM block is a ConfigError naming the variable. */
  pemFile(variable: string): Setting<PemFile | undefined> {
    return {
      variable,
      read(raw) {
        if (raw === undefined || raw.trim() === '') return undefined;
        const path = raw.trim();
        let pem: Buffer;
        try {
          pem = readFileSync(path);
        } catch (err) {
          const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
          throw new ConfigError(
            variable,
            `${variable}=${JSON.stringify(raw)} cannot be read (${why})`,
          );
        }
        if (!pem.includes('-----BEGIN ')) {
          throw new ConfigError(variable, `${variable}=${JSON.stringify(raw)} is not a PEM file`);
        }
        return { path, pem };
      },
    };
  },
  /** A comma-separated list; empty items are dropped. */
  list(variable: string, fallback: readonly string[] = []): Setting<readonly string[]> {
    return setting(variable, fallback, (raw) =>
      raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );
  },
};

/**
 * Reads every setting; on any fault throws one ConfigError whose message names every bad
 * variable, so a misconfigured service stops with one line that says what to fix.
 */
export function loadConfig<S extends Record<string, Setting<unknown>>>(
  spec: S,
  source: Env = process.env,
): SettingValues<S> {
  const values: Record<string, unknown> = {};
  const faults: ConfigError[] = [];
  for (const [key, s] of Object.entries(spec)) {
    try {
      values[key] = s.read(source[s.variable]);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      faults.push(err);
    }
  }
  if (faults.length > 0) {
    throw new ConfigError(
      faults.map((f) => f.variable).join(','),
      faults.map((f) => f.message).join('; '),
    );
  }
  return values as SettingValues<S>;
}
