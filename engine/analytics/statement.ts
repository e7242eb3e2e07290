/** A migration's statement (migrations.ts), or one that runs only while its guard (a SELECT) returns a row. */
export type Statement = string | { sql: string; onlyIf: string };
