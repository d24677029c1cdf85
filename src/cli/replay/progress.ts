// The replay progress bar: one line on stderr, redrawn in place, only when stderr is a terminal.

export class Progress {
  private lastDraw = 0;
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly totalBytes: number,
    private readonly enabled = stream.isTTY === true,
  ) {}

  /** `doneBytes` of `totalBytes` read and queued; the counts go to the right of the bar. */
  update(doneBytes: number, counts: { files: number; totalFiles: number; sent: number; failed: number }, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const fraction = this.totalBytes > 0 ? Math.min(1, doneBytes / this.totalBytes) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const failed = counts.failed > 0 ? `, ${counts.failed} failed` : '';
    const line = `replay ${bar} ${String(Math.round(fraction * 100)).padStart(3)}%  file ${counts.files}/${counts.totalFiles}  ${counts.sent} spans sent${failed}`;
    const columns = this.stream.columns ?? 100;
    this.stream.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
    this.shown = true;
  }

  /** Removes the bar, so the summary starts on a clean line. */
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }

  /** Text for stderr while the bar is shown: the bar is cleared first and redrawn by the next update. */
  print(text: string): void {
    this.clear();
    this.stream.write(text);
  }
}
