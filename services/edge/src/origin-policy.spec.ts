import { describe, expect, it } from 'vitest';
import { OriginPolicy } from './origin-policy.js';

const policy = (allowedHosts: string[], allowedOrigins: string[] = [], listenHost = '127.0.0.1') =>
  new OriginPolicy({ allowedHosts, allowedOrigins, listenHost });

describe('OriginPolicy', () => {
  it('allows the loopback names and a named HOST by default, with any port', () => {
    const p = policy([], [], 'edge.lan');
    for (const host of [
      'localhost',
      'LOCALHOST:7080',
      '127.0.0.1:1',
      '[::1]',
      '[::1]:80',
      'edge.lan:7080',
    ]) {
      expect(p.hostAllowed(host), host).toBe(true);
    }
    for (const host of [
      '',
      'rebound.example',
      'localhost.',
      '127.0.0.2',
      '[::1',
      'a:b:c',
      'localhost:x',
      '0.0.0.0',
    ]) {
      expect(p.hostAllowed(host), host).toBe(false);
    }
  });

  it('names no host for a wildcard HOST, and brackets an IPv6 one', () => {
    expect(policy([], [], '0.0.0.0').hostAllowed('0.0.0.0:7080')).toBe(false);
    expect(policy([], [], '::').hostAllowed('[::]:7080')).toBe(false);
    expect(policy([], [], 'fd00::5').hostAllowed('[fd00::5]:7080')).toBe(true);
  });

  it('replaces the defaults with CODEFRAME_EDGE_ALLOWED_HOSTS, or allows any with *', () => {
    expect(policy(['edge.example']).hostAllowed('edge.example:443')).toBe(true);
    expect(policy(['edge.example']).hostAllowed('localhost')).toBe(false);
    expect(policy(['*']).hostAllowed('anything.example')).toBe(true);
  });

  it("allows by default only the allowed hosts' own http and https origins", () => {
    const p = policy([]);
    expect(p.originAllowed('', 'localhost')).toBe(true);
    expect(p.originAllowed('http://localhost:5173', 'localhost:7080')).toBe(true);
    expect(p.originAllowed('https://127.0.0.1', 'localhost:7080')).toBe(true);
    expect(p.originAllowed('http://rebound.example', 'localhost:7080')).toBe(false);
    expect(p.originAllowed('null', 'localhost:7080')).toBe(false);
    expect(p.originAllowed('file://localhost', 'localhost:7080')).toBe(false);
    expect(p.originAllowed('chrome-extension://abc', 'localhost:7080')).toBe(false);
  });

  it('with any host allowed, takes only the origin of the host the request names', () => {
    const p = policy(['*']);
    expect(p.originAllowed('http://a.example:8080', 'a.example:8080')).toBe(true);
    expect(p.originAllowed('http://b.example', 'a.example:8080')).toBe(false);
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
