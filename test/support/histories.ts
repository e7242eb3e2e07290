/** Reading recorded or fetched workflow histories in tests: the engine's own reading. */
export { patchesOf } from '../../engine/replay/history-replay.ts';
