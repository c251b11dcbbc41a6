// A one-line progress bar for terminals; nothing at all when stdout is not a
// terminal (CI, a log file), where only the per-epoch lines are printed.

const clock = (s: number): string => {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
};

export const progressBar = (out: NodeJS.WriteStream) => {
  if (!out.isTTY) return { update: () => {}, clear: () => {} };
  let last = 0;
  return {
    update: (label: string, done: number, total: number, images: number, seconds: number) => {
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const width = 30;
      const filled = Math.round((width * done) / total);
      const rate = images / Math.max(seconds, 1e-9);
      const eta = ((total - done) / Math.max(done, 1)) * seconds;
      out.write(`\r${label} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${Math.floor((100 * done) / total)}% ${rate.toFixed(0)} img/s ETA ${clock(eta)} `);
    },
    clear: () => out.write('\r\x1b[2K'),
  };
};
