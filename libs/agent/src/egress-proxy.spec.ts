import { describe, expect, it } from 'vitest';
import { isAllowed, parseAllowedHost } from './egress-proxy.js';

describe('parseAllowedHost', () => {
  it.each([
    ['registry.npmjs.org', { host: 'registry.npmjs.org', port: 443 }],
    ['https://registry.npmjs.org/', { host: 'registry.npmjs.org', port: 443 }],
    ['http://verdaccio.internal:4873/npm/', { host: 'verdaccio.internal', port: 4873 }],
    ['PyPI.org', { host: 'pypi.org', port: 443 }],
    ['files.pythonhosted.org:443', { host: 'files.pythonhosted.org', port: 443 }],
    ['*.example.com', { host: '*.example.com', port: 443 }],
    ['127.0.0.1:4873', { host: '127.0.0.1', port: 4873 }],
    ['[::1]:4873', { host: '::1', port: 4873 }],
  ])('reads %s', (entry, expected) => {
    expect(parseAllowedHost(entry)).toEqual(expected);
  });

  it.each(['', 'a b', 'host:99999', 'host:0', '-bad.example', 'x:y'])(
    'refuses %j with a sentence saying what a host is',
    (entry) => {
      expect(() => parseAllowedHost(entry)).toThrow(/is not a host: give a name/);
    },
  );
});

describe('isAllowed', () => {
  const list = ['registry.npmjs.org', '*.pythonhosted.org', 'localhost:4873'].map(parseAllowedHost);
  it('allows a listed host on its port only', () => {
    expect(isAllowed(list, 'registry.npmjs.org', 443)).toBe(true);
    expect(isAllowed(list, 'REGISTRY.npmjs.org.', 443)).toBe(true);
    expect(isAllowed(list, 'registry.npmjs.org', 80)).toBe(false);
    expect(isAllowed(list, 'localhost', 4873)).toBe(true);
    expect(isAllowed(list, 'localhost', 443)).toBe(false);
  });
  it("allows names under a wildcard, not the wildcard's own name nor look-alikes", () => {
    expect(isAllowed(list, 'files.pythonhosted.org', 443)).toBe(true);
    expect(isAllowed(list, 'pythonhosted.org', 443)).toBe(false);
    expect(isAllowed(list, 'evilpythonhosted.org', 443)).toBe(false);
    expect(isAllowed(list, 'registry.npmjs.org.evil.com', 443)).toBe(false);
    expect(isAllowed(list, '104.16.0.35', 443)).toBe(false);
  });
});
