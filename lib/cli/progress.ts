import type { ExportProgress } from '../pipeline';

function formatEta(ms: number | null): string {
  if (ms === null) return '--:--';
  const seconds = Math.round(ms / 1000);
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

/** A one-line progress bar on stderr, only when stderr is a terminal, so piped output stays clean JSON. */
export function progressReporter(
  stream: NodeJS.WriteStream,
): ((progress: ExportProgress) => void) & { done(): void } {
  const enabled = Boolean(stream.isTTY);
  let drawn = false;
  const report = (progress: ExportProgress) => {
    if (!enabled) return;
    const width = 30;
    const filled =
      progress.bucketsTotal === 0
        ? width
        : Math.round((progress.bucketsDone / progress.bucketsTotal) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    stream.write(
      `\r${bar} ${progress.bucketsDone}/${progress.bucketsTotal} buckets · ${progress.searches} searches · ${progress.rows} rows · ETA ${formatEta(progress.etaMs)} `,
    );
    drawn = true;
  };
  return Object.assign(report, {
    done() {
      if (drawn) stream.write('\n');
    },
  });
}
