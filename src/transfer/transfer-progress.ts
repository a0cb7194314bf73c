/** Progress events of fetch and sync, as data; the CLI decides how (and whether) to show them. */
export type TransferEvent =
  | { type: "plan"; entries: number; files: number; bytes: number }
  | { type: "bytes"; bytes: number }
  | { type: "entry-done"; module: string; bytes: number }
  | { type: "entry-failed"; module: string; error: string };

export type TransferListener = (event: TransferEvent) => void;
