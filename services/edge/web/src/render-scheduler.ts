// Coalesces any number of changes into one render per animation frame.

export class RenderScheduler {
  #pending = false;

  constructor(private readonly render: () => void) {}

  request(): void {
    if (this.#pending) return;
    this.#pending = true;
    window.requestAnimationFrame(() => {
      this.#pending = false;
      try {
        this.render();
      } catch (err) {
        console.error('render failed', err);
      }
    });
  }
}
