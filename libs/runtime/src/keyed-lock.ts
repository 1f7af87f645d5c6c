const locks = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task of the same key (in this process) has settled. */
export async function serialised<T>(key: string, task: () => Promise<T>): Promise<T> {
  const current = (locks.get(key) ?? Promise.resolve()).catch(() => {}).then(task);
  locks.set(key, current);
  try {
    return await current;
  } finally {
    if (locks.get(key) === current) locks.delete(key);
  }
}
