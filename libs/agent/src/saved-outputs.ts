// The whole output of commands whose result reached the model cut, kept in the task's
// memory (never in the worktree) so that the model can page through it with read_output by
// id. The model names no path: it can read only what its own task saved.

const MAX_OUTPUTS = 20;
const MAX_TOTAL_CHARS = 64 * 1024 * 1024;

export class SavedOutputs {
  readonly #outputs = new Map<string, string>();
  #total = 0;
  #next = 1;

  /** Keeps `text` and returns its id ("out-1", "out-2", …); the oldest go first when full. */
  save(text: string): string {
    const id = `out-${this.#next++}`;
    this.#outputs.set(id, text);
    this.#total += text.length;
    for (const [old, kept] of this.#outputs) {
      if (this.#outputs.size <= MAX_OUTPUTS && this.#total <= MAX_TOTAL_CHARS) break;
      if (old === id) break;
      this.#outputs.delete(old);
      this.#total -= kept.length;
    }
    return id;
  }

  /** The output saved as `id`, or an error sentence naming what is kept. */
  get(id: string): { text: string } | { error: string } {
    const text = this.#outputs.get(id);
    if (text !== undefined) return { text };
    const kept = [...this.#outputs.keys()];
    return {
      error: `no saved output ${JSON.stringify(id)}: ${kept.length ? `the saved ones are ${kept.join(', ')}` : 'none is saved'} (the oldest are dropped after ${MAX_OUTPUTS})`,
    };
  }
}
