// Credentials of a repository travel apart from its URL: a URL is shown, stored, logged and
// put on git's command line; a token must be none of these. git gets them from a credential
// helper that reads two environment variables of its own process only.

export interface GitCredentials {
  username: string;
  password: string;
}

const USERNAME = 'CODEFRAME_GIT_USERNAME';
const PASSWORD = 'CODEFRAME_GIT_PASSWORD';
// Answers `get` only; `store` and `erase` are ignored, so nothing is written anywhere.
const HELPER = `!f() { test "$1" = get && printf 'username=%s\\npassword=%s\\n' "$${USERNAME}" "$${PASSWORD}"; }; f`;

/** The URL without its user and password, and those apart (URL-decoded), for https and
 * http; of any other URL only a password is taken out (an ssh user name is no secret). */
export function splitCredentials(url: string): { url: string; credentials?: GitCredentials } {
  if (!/^https?:\/\//i.test(url))
    return { url: url.replace(/^(\w[\w+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/, '$1@') };
  const match = /^(https?:\/\/)([^/@\s]*)@(.*)$/i.exec(url);
  if (!match) return { url };
  const [, scheme, userinfo, rest] = match as unknown as [string, string, string, string];
  const colon = userinfo.indexOf(':');
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const username = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? '' : decode(userinfo.slice(colon + 1));
  return { url: `${scheme}${rest}`, credentials: { username, password } };
}

/** The URL with the credentials in it again (for the lead's request to a worker only). */
export function withCredentials(url: string, credentials?: GitCredentials): string {
  if (!credentials) return url;
  const password = credentials.password ? `:${encodeURIComponent(credentials.password)}` : '';
  const userinfo = `${encodeURIComponent(credentials.username)}${password}`;
  return url.replace(/^(https?:\/\/)/i, `$1${userinfo}@`);
}

/** git's arguments: no helper the host configured (it might store the token), ours alone. */
export function helperArgs(): string[] {
  return ['-c', 'credential.helper=', '-c', `credential.helper=${HELPER}`];
}

export function helperEnv(credentials: GitCredentials): NodeJS.ProcessEnv {
  return { [USERNAME]: credentials.username, [PASSWORD]: credentials.password };
}
