import { describe, expect, it } from 'vitest';
import { splitCredentials, withCredentials } from './git-credentials.js';

describe('splitCredentials', () => {
  it('takes user and password out of an https URL, decoded, and puts them back', () => {
    const url = 'https://x-access-token:p%40ss%3Aw%2Frd@git.example.com/team/app.git';
    const split = splitCredentials(url);
    expect(split).toEqual({
      url: 'https://git.example.com/team/app.git',
      credentials: { username: 'x-access-token', password: 'p@ss:w/rd' },
    });
    expect(splitCredentials(withCredentials(split.url, split.credentials))).toEqual(split);
  });

  it('takes a token given as the user name alone', () => {
    expect(splitCredentials('https://ghp_token@github.com/a/b.git')).toEqual({
      url: 'https://github.com/a/b.git',
      credentials: { username: 'ghp_token', password: '' },
    });
    expect(withCredentials('https://github.com/a/b.git', { username: 't', password: '' })).toBe(
      'https://t@github.com/a/b.git',
    );
  });

  it('leaves URLs without credentials, and an ssh user name, as they are', () => {
    for (const url of ['https://git.example.com/a.git', 'ssh://git@host/a.git', 'git@host:a.git'])
      expect(splitCredentials(url)).toEqual({ url });
    expect(splitCredentials('ssh://git:secret@host/a.git')).toEqual({
      url: 'ssh://git@host/a.git',
    });
    expect(withCredentials('file:///srv/a.git')).toBe('file:///srv/a.git');
  });
});
