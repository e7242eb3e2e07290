/** `clientele segments …`: the segment lists marketers write (docs/segments.md). */
import type { Command } from 'commander';
import { loadSegmentsFile } from '../segments/load-segments.ts';
import { SegmentListError } from '../segments/segment-schema.ts';

export function addSegmentCommands(program: Command) {
  const segments = program.command('segments').description('Segment lists (docs/segments.md)');
  segments
    .command('validate')
    .description('Check a segment list (YAML or JSON): each mistake with its field and line')
    .argument('<file>', 'the segment list, e.g. config/segments.yaml')
    .action(async (file: string) => {
      try {
        const list = await loadSegmentsFile(file);
        process.stdout.write(
          `${file}: valid · ${list.length} segment${list.length === 1 ? '' : 's'}\n`,
        );
        for (const segment of list) process.stdout.write(`  ${segment.id}: ${segment.when}\n`);
      } catch (err) {
        if (!(err instanceof SegmentListError)) throw err;
        process.stderr.write(`clientele: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
}
