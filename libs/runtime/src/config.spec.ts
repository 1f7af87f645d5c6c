import { describe, expect, it } from 'vitest';
import { ConfigError, env, loadConfig } from './index.js';

const spec = {
  host: env.string('HOST', '127.0.0.1'),
  port: env.port('PORT', 7100),
  capacity: env.int('CODEFRAME_WORKER_CAPACITY', 4, 1, 256),
  token: env.optional('CODEFRAME_AUTH_TOKEN'),
  sandbox: env.oneOf('CODEFRAME_SANDBOX', ['bwrap', 'none'] as const, 'bwrap'),
  verbose: env.boolean('VERBOSE', false),
  workers: env.list('CODEFRAME_WORKERS_BACKEND'),
};

describe('loadConfig', () => {
  it('applies defaults when variables are unset or empty', () => {
    expect(loadConfig(spec, { PORT: '' })).toEqual({
      host: '127.0.0.1',
      port: 7100,
      capacity: 4,
      token: undefined,
      sandbox: 'bwrap',
      verbose: false,
      workers: [],
    });
  });

  it('parses every kind of value', () => {
    const config = loadConfig(spec, {
      HOST: '0.0.0.0',
      PORT: '0',
      CODEFRAME_WORKER_CAPACITY: '16',
      CODEFRAME_AUTH_TOKEN: 't0k',
      CODEFRAME_SANDBOX: 'none',
      VERBOSE: 'yes',
      CODEFRAME_WORKERS_BACKEND: 'a:1, b:2,,',
    });
    expect(config).toMatchObject({ port: 0, capacity: 16, token: 't0k', sandbox: 'none' });
    expect(config.verbose).toBe(true);
    expect(config.workers).toEqual(['a:1', 'b:2']);
  });

  it('names the variable and what is wrong in one line', () => {
    expect(() => loadConfig(spec, { PORT: 'abc' })).toThrow(
      new ConfigError('PORT', 'PORT="abc" is not a port number (expected an integer 0..65535)'),
    );
    expect(() => loadConfig(spec, { PORT: '70000' })).toThrow(/PORT="70000" is not a port/);
    expect(() => loadConfig(spec, { CODEFRAME_WORKER_CAPACITY: '0' })).toThrow(
      'CODEFRAME_WORKER_CAPACITY="0" is out of range (expected 1..256)',
    );
    expect(() => loadConfig(spec, { CODEFRAME_SANDBOX: 'docker' })).toThrow(
      'CODEFRAME_SANDBOX="docker" is not one of bwrap, none',
    );
  });

  it('reports every bad variable at once', () => {
    try {
      loadConfig(spec, { PORT: 'x', VERBOSE: 'maybe' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe('PORT,VERBOSE');
      expect((err as Error).message).toBe(
        'PORT="x" is not a port number (expected an integer 0..65535); VERBOSE="maybe" is not a boolean (expected true or false)',
      );
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('reads a decimal number and refuses what is not one, or out of range', () => {
    const usd = { budget: env.number('CODEFRAME_TASK_BUDGET_USD', 0, 0, 1000) };
    expect(loadConfig(usd, {}).budget).toBe(0);
    expect(loadConfig(usd, { CODEFRAME_TASK_BUDGET_USD: '2.5' }).budget).toBe(2.5);
    expect(loadConfig(usd, { CODEFRAME_TASK_BUDGET_USD: '.25' }).budget).toBe(0.25);
    for (const raw of ['NaN', 'Infinity', '1e3', '$2', '2,5']) {
      expect(() => loadConfig(usd, { CODEFRAME_TASK_BUDGET_USD: raw })).toThrow(
        `CODEFRAME_TASK_BUDGET_USD="${raw}" is not a number (expected 0..1000)`,
      );
    }
    expect(() => loadConfig(usd, { CODEFRAME_TASK_BUDGET_USD: '-1' })).toThrow(
      'CODEFRAME_TASK_BUDGET_USD="-1" is out of range (expected 0..1000)',
    );
  });

  it('requires a string without a default', () => {
    expect(() => loadConfig({ url: env.string('LEAD_URL') }, {})).toThrow('LEAD_URL is required');
  });
});
