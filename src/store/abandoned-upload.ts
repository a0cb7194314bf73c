/**
 * When a store's partial upload (a directory store's `.neff-tmp-*` file, an S3 multipart upload)
 * belongs to a writer that was killed, so the next writer may remove it. One rule for every
 * backend that keeps such state; Hugging Face buckets keep none (Xet uploads are whole xorbs,
 * content-addressed, and an unregistered xorb is the server's to collect).
 */

/**
 * An hour: a live directory write renews its temp file's mtime with every chunk, and a live
 * multipart upload of the largest entry (tens of GiB at a slow 20 MB/s is under an hour of parts)
 * is not initiated longer ago than that.
 */
export const ABANDONED_UPLOAD_MS = 60 * 60 * 1000;

/** Whether a partial upload last touched (or initiated) at `touchedMs` was abandoned by `nowMs`. */
export function isAbandonedUpload(
  touchedMs: number,
  nowMs: number,
  ageMs: number = ABANDONED_UPLOAD_MS,
): boolean {
  return nowMs - touchedMs >= ageMs;
}
