// The simulation's worker thread starts here: Node runs plain JavaScript in a new thread, so this
// loads the TypeScript worker (simulate-worker.ts) through tsx, as the CLI itself is run.
import { tsImport } from 'tsx/esm/api';

await tsImport('./simulate-worker.ts', import.meta.url);
