import { Presets, SingleBar } from 'cli-progress';
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

/**
 * A progress bar toward a known total (cli-progress, a well-kept library): the share done, an
 * estimate of the time left, and the figures `read` gives. Off a terminal it prints a plain line
 * every few seconds instead, so logs stay readable.
 */
export function startProgressBar(
  total: number,
  unit: string,
  read: () => { done: number; figures?: Record<string, number> },
) {
  const bar = new SingleBar(
    {
      format: `[{bar}] {percentage}% · {value}/{total} ${unit} · eta {eta_formatted} · {figures}`,
      barsize: 30,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5_000,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  const figuresOf = () =>
    Object.entries(read().figures ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ');
  bar.start(total, 0, { figures: figuresOf() });
  const timer = setInterval(() => bar.update(read().done, { figures: figuresOf() }), 500);
  return {
    stop() {
      clearInterval(timer);
      bar.update(read().done, { figures: figuresOf() });
      bar.stop();
    },
  };
}
