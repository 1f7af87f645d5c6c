import { describe, expect, it } from 'vitest';
import { configuredHostNames, hostNameRule, parseHost } from './host-names.js';

describe('parseHost', () => {
  it('reads a name, an IPv4 or a bracketed IPv6 address, each with an optional port', () => {
    expect(parseHost('localhost')).toEqual({ name: 'localhost', port: undefined });
    expect(parseHost('LocalHost:7080')).toEqual({ name: 'localhost', port: 7080 });
    expect(parseHost('localhost.')).toEqual({ name: 'localhost', port: undefined });
    expect(parseHost('app.localhost.:80')).toEqual({ name: 'app.localhost', port: 80 });
    expect(parseHost('127.0.0.1:1')).toEqual({ name: '127.0.0.1', port: 1 });
    expect(parseHost('[::1]')).toEqual({ name: '::1', port: undefined });
    expect(parseHost('[FD00::5]:7100')).toEqual({ name: 'fd00::5', port: 7100 });
    expect(parseHost('[::ffff:127.0.0.1]')).toEqual({ name: '::ffff:127.0.0.1', port: undefined });
    expect(parseHost(' edge_1.lan\t')).toEqual({ name: 'edge_1.lan', port: undefined });
  });

  it('reads nothing from a header that is not a host and port', () => {
    for (const header of [
      '',
      ' ',
      ':80',
      'localhost:',
      'localhost:x',
      'localhost:80:80',
      'localhost:65536',
      'localhost:-1',
      'a:b:c',
      '::1',
      '[::1',
      '[::1]x',
      '[::1]:',
      '[localhost]',
      '[127.0.0.1]',
      '[]',
      'local host',
      'localhost x',
      'localhost\n',
      'user@localhost',
      'localhost@evil.example',
      'localhost/x',
      'evil.example/localhost',
      'evil.example#.localhost',
      '.localhost',
      'a..localhost',
      'localhost..',
      '*',
      'localhost%00',
      'lоcalhost', // a Cyrillic o
    ]) {
      expect(parseHost(header), JSON.stringify(header)).toBeUndefined();
    }
  });
});

describe('hostNameRule', () => {
  it('allows localhost, *.localhost, any IP address, HOST and the configured names', () => {
    const rule = hostNameRule('edge.lan', ['Status.Example.com.', 'other.example:443']);
    for (const host of [
      'localhost',
      'LOCALHOST:7080',
      'localhost.',
      'app.localhost',
      '127.0.0.1:1',
      '127.0.0.2',
      '10.1.2.3:7080',
      '0.0.0.0',
      '[::1]',
      '[::1]:80',
      '[fd00::5]',
      'edge.lan:7080',
      'status.example.com',
      'STATUS.example.com.:443',
      'other.example',
    ]) {
      expect(rule(host), host).toBeUndefined();
    }
  });

  it('refuses an unknown name with a sentence naming it and the variable', () => {
    expect(hostNameRule('127.0.0.1', [])('rebound.example:7080')).toBe(
      'this server does not answer to the host name "rebound.example": add it to CODEFRAME_ALLOWED_HOSTS if clients should reach it by that name',
    );
    // Not IP addresses, whatever resolvers make of them.
    expect(hostNameRule('127.0.0.1', [])('0x7f.0.0.1')).toMatch(/does not answer to/);
    expect(hostNameRule('127.0.0.1', [])('2130706433')).toMatch(/does not answer to/);
    expect(hostNameRule('127.0.0.1', [])('1.2.3.4.5')).toMatch(/does not answer to/);
  });

  it('refuses a missing or malformed Host, so nothing passes for an address or localhost', () => {
    const rule = hostNameRule('127.0.0.1', []);
    expect(rule(undefined)).toMatch(/^the request names no host/);
    expect(rule('  ')).toMatch(/^the request names no host/);
    for (const host of [
      'localhost:x',
      'a:b:c',
      '::1',
      '[::1',
      '[127.0.0.1]',
      'local host',
      'user@localhost',
      'localhost/x',
      '127.0.0.1@evil.example',
      '.localhost',
      '*',
    ]) {
      expect(rule(host), host).toBe(
        `the request's host ${JSON.stringify(host)} is not a host name or address with an optional port`,
      );
    }
  });

  it('names no host for a wildcard HOST', () => {
    for (const listen of ['0.0.0.0', '::', '[::]', '', '*']) {
      expect(configuredHostNames(listen, [])).toEqual(new Set());
    }
    expect(configuredHostNames('Edge.LAN', [' a.example ', ''])).toEqual(
      new Set(['edge.lan', 'a.example']),
    );
  });

  it('allows any host, malformed or missing too, with "*"', () => {
    const rule = hostNameRule('127.0.0.1', ['*']);
    for (const host of [undefined, '', 'anything.example', 'a:b:c']) {
      expect(rule(host), host).toBeUndefined();
    }
  });
});
