import { describe, expect, it } from 'vitest';
import { OriginPolicy } from './origin-policy.js';

const policy = (allowedHosts: string[], allowedOrigins: string[] = [], listenHost = '127.0.0.1') =>
  new OriginPolicy({ allowedHosts, allowedOrigins, listenHost });

const allowed = (p: OriginPolicy, host: string) => p.hostRefusal(host) === undefined;

describe('OriginPolicy hosts (the rule of every server)', () => {
  it('allows localhost, *.localhost, any IP address and a named HOST, with any port', () => {
    const p = policy([], [], 'edge.lan');
    for (const host of [
      'localhost',
      'LOCALHOST:7080',
      'localhost.',
      'app.localhost:5173',
      '127.0.0.1:1',
      '127.0.0.2',
      '10.1.2.3:7080',
      '[::1]',
      '[::1]:80',
      '[fd00::5]:7080',
      'edge.lan:7080',
    ]) {
      expect(allowed(p, host), host).toBe(true);
    }
  });

  it('refuses other names, and a missing or malformed Host, with the sentence of the rule', () => {
    const p = policy([]);
    expect(p.hostRefusal('rebound.example:7080')).toBe(
      'this server does not answer to the host name "rebound.example": add it to CODEFRAME_ALLOWED_HOSTS if clients should reach it by that name',
    );
    expect(p.hostRefusal('')).toMatch(/^the request names no host/);
    for (const host of [
      '[::1',
      'a:b:c',
      'localhost:x',
      'local host',
      'user@localhost',
      'localhost/x',
      '.localhost',
      '::1',
    ]) {
      expect(p.hostRefusal(host), host).toMatch(/is not a host name or address/);
    }
  });

  it('names no host for a wildcard HOST', () => {
    expect(allowed(policy([], [], '0.0.0.0'), 'edge.lan')).toBe(false);
    expect(allowed(policy([], [], '::'), 'edge.lan')).toBe(false);
  });

  it('adds the names of CODEFRAME_ALLOWED_HOSTS to the defaults, or allows any with *', () => {
    const p = policy(['edge.example']);
    expect(allowed(p, 'EDGE.example:443')).toBe(true);
    expect(allowed(p, 'localhost')).toBe(true);
    expect(allowed(p, 'other.example')).toBe(false);
    expect(allowed(policy(['*']), 'anything.example')).toBe(true);
  });
});

describe('OriginPolicy origins', () => {
  it('takes any client that sends no Origin (not a browser)', () => {
    expect(policy([]).originAllowed('', 'localhost')).toBe(true);
  });

  it('allows by default a page from the host and port the request names', () => {
    const p = policy([], [], '0.0.0.0');
    // The dashboard the edge serves, however it is reached.
    expect(p.originAllowed('http://10.0.0.5:7080', '10.0.0.5:7080')).toBe(true);
    expect(p.originAllowed('http://[fd00::5]:7080', '[FD00::5]:7080')).toBe(true);
    // Default ports: a Host without one is the origin's scheme's default.
    expect(p.originAllowed('http://10.0.0.5', '10.0.0.5')).toBe(true);
    expect(p.originAllowed('http://10.0.0.5', '10.0.0.5:80')).toBe(true);
    expect(p.originAllowed('https://10.0.0.5', '10.0.0.5')).toBe(true);
    expect(p.originAllowed('https://10.0.0.5', '10.0.0.5:443')).toBe(true);
    // Another port or scheme's port of the same address is another site.
    expect(p.originAllowed('http://10.0.0.5:8080', '10.0.0.5:7080')).toBe(false);
    expect(p.originAllowed('http://10.0.0.5', '10.0.0.5:7080')).toBe(false);
    expect(p.originAllowed('https://10.0.0.5', '10.0.0.5:80')).toBe(false);
    expect(p.originAllowed('http://10.0.0.5:8080', '10.0.0.5')).toBe(false);
  });

  it('never allows by default a page from another IP address (cross-site WebSocket hijacking)', () => {
    const p = policy([], [], '0.0.0.0');
    for (const [origin, host] of [
      ['http://203.0.113.7', '127.0.0.1:7080'],
      ['http://203.0.113.7:7080', 'localhost:7080'],
      ['http://203.0.113.7:7080', '10.0.0.5:7080'],
      ['http://[2001:db8::7]:7080', '[::1]:7080'],
      ['http://0.0.0.0:7080', '127.0.0.1:7080'],
      ['http://10.0.0.5:7080', '10.0.0.6:7080'],
    ] as const) {
      expect(p.originAllowed(origin, host), `${origin} to ${host}`).toBe(false);
    }
    // Not HOST's address on another port, nor an address listed in CODEFRAME_ALLOWED_HOSTS.
    const listed = policy(['10.0.0.9', '[fd00::9]'], [], '10.0.0.5');
    expect(listed.originAllowed('http://10.0.0.5:8080', '10.0.0.5:7080')).toBe(false);
    expect(listed.originAllowed('http://10.0.0.9', '127.0.0.1:7080')).toBe(false);
    expect(listed.originAllowed('http://[fd00::9]', '127.0.0.1:7080')).toBe(false);
  });

  it('allows by default pages from localhost, *.localhost, loopback addresses and configured names', () => {
    const p = policy(['status.example.com'], [], 'edge.lan');
    for (const origin of [
      'http://localhost:5173',
      'https://app.localhost',
      'https://127.0.0.1',
      'http://127.8.9.10:3000',
      'http://[::1]:5173',
      'https://status.example.com',
      'http://edge.lan:8080',
    ]) {
      expect(p.originAllowed(origin, '10.0.0.5:7080'), origin).toBe(true);
    }
  });

  it('refuses other names, other schemes and what is not an origin', () => {
    const p = policy([]);
    for (const origin of [
      'http://rebound.example',
      'http://localhost.rebound.example',
      'http://127.0.0.1.rebound.example',
      'null',
      'file://localhost',
      'ws://localhost',
      'chrome-extension://abc',
      'http://localhost/path',
      'http://user@localhost',
      'http://LOCALHOST',
      'localhost',
      'http://',
    ]) {
      expect(p.originAllowed(origin, 'localhost:7080'), origin).toBe(false);
    }
  });

  it('with any host allowed, takes the origin the Host names and loopback ones, not others', () => {
    const p = policy(['*']);
    expect(p.originAllowed('http://a.example:8080', 'a.example:8080')).toBe(true);
    expect(p.originAllowed('http://localhost:5173', 'a.example:8080')).toBe(true);
    expect(p.originAllowed('http://b.example', 'a.example:8080')).toBe(false);
    expect(p.originAllowed('http://203.0.113.7', 'a.example:8080')).toBe(false);
  });

  it('takes an explicit origin list as it is, and * for any', () => {
    expect(policy([], ['http://dash.example']).originAllowed('http://dash.example', 'x')).toBe(
      true,
    );
    expect(policy([], ['http://dash.example']).originAllowed('http://localhost', 'localhost')).toBe(
      false,
    );
    expect(policy([], ['*']).originAllowed('http://rebound.example', 'localhost')).toBe(true);
  });
});
