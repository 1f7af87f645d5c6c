// The bearer token the page was opened with (`?token=`). It lives in memory and in
// sessionStorage, so a reload of the tab keeps working; it is taken out of the address bar
// so it does not end up in history, bookmarks or screenshots. Other parameters stay.

const STORAGE_KEY = 'codeframe.token';

function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

export class AuthToken {
  #value: string | undefined;

  constructor(value: string | undefined) {
    this.#value = value;
  }

  /** Reads `?token=` (then removes it from the URL), else the one this tab stored earlier. */
  static fromPage(): AuthToken {
    const url = new URL(window.location.href);
    const fromUrl = url.searchParams.get('token');
    if (fromUrl) {
      storage()?.setItem(STORAGE_KEY, fromUrl);
      url.searchParams.delete('token');
      window.history.replaceState(window.history.state, '', url);
      return new AuthToken(fromUrl);
    }
    return new AuthToken(storage()?.getItem(STORAGE_KEY) ?? undefined);
  }

  get value(): string | undefined {
    return this.#value;
  }

  /** The edge rejected it: a reload should not try it again. */
  forget(): void {
    this.#value = undefined;
    storage()?.removeItem(STORAGE_KEY);
  }
}
