/**
 * A live line of counters for long-running commands: rewritten in place on a terminal, a plain
 * line every few seconds otherwise (so logs stay readable).
 */
export function startProgress(read: () => Record<string, number>, intervalMs?: number) {
  const tty = process.stdout.isTTY === true;
  const every = intervalMs ?? (tty ? 1000 : 5000);
  const started = Date.now();
  const render = () => {
    const seconds = Math.round((Date.now() - started) / 1000);
    const figures = Object.entries(read())
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ');
    const line = `[${seconds}s] ${figures}`;
    if (tty) process.stdout.write(`\r\x1b[2K${line}`);
    else process.stdout.write(`${line}\n`);
  };
  const timer = setInterval(render, every);
  return {
    stop() {
      clearInterval(timer);
      render();
      if (tty) process.stdout.write('\n');
    },
  };
}
