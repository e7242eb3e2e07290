// A replay worker thread (simulate, backfill) starts here: Node runs plain JavaScript in a new thread, so this
// loads the TypeScript worker (replay-worker.ts) through tsx, as the CLI itself is run.
import { tsImport } from 'tsx/esm/api';

await tsImport('./replay-worker.ts', import.meta.url);
