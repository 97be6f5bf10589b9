import type { OutputStream } from '../environment.js';

export interface Spinner {
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner on a terminal; nothing at all when stderr is a pipe or a file (CI logs stay clean). */
export function startSpinner(stream: OutputStream, label: string): Spinner {
  if (!stream.isTTY) return { stop() {} };
  let frame = 0;
  const draw = () => stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label}`);
  draw();
  const timer = setInterval(draw, 100);
  timer.unref?.();
  return {
    stop() {
      clearInterval(timer);
      stream.write('\r\u001b[2K');
    },
  };
}
