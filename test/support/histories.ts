/** Reading recorded or fetched workflow histories in tests. */
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

/** The patches a history marked (`patched()`), by id, in order. */
export const patchesOf = (history: History): string[] =>
  (history.events ?? []).flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [(JSON.parse(new TextDecoder().decode(data)) as { id: string }).id] : [];
  });
