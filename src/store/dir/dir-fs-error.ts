import { StoreError } from "../../errors.ts";
import { errorCode } from "../../local/error-code.ts";

/** Maps a file-system error to a StoreError that names the folder and the fix. */
export function dirFsError(error: unknown, action: string, root: string): StoreError {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case "EACCES":
    case "EPERM":
      return new StoreError(`Permission denied while trying to ${action} in ${root}.`, {
        store: "dir",
        retryable: false,
        hint: "Check the folder's owner and permissions, or use a store folder you can write to.",
        cause: error,
      });
    case "ENOSPC":
    case "EDQUOT":
      return new StoreError(`No space left while trying to ${action} in ${root}.`, {
        store: "dir",
        retryable: false,
        hint: "Free space on that file system or point the store elsewhere.",
        cause: error,
      });
    case "EROFS":
      return new StoreError(
        `The store folder ${root} is on a read-only file system (while trying to ${action}).`,
        {
          store: "dir",
          retryable: false,
          hint: "Use a writable folder, or only read from this store.",
          cause: error,
        },
      );
    case "ENOTDIR":
    case "EISDIR":
    case "EEXIST":
      return new StoreError(
        `Could not ${action} in ${root}: a file and a folder have the same name (${code}).`,
        {
          store: "dir",
          retryable: false,
          hint: "A key cannot be both an object and a prefix of other keys in a folder store.",
          cause: error,
        },
      );
    case "EIO":
    case "ESTALE":
    case "EAGAIN":
    case "EBUSY":
    case "ETIMEDOUT":
      return new StoreError(`Could not ${action} in ${root}: ${message}`, {
        store: "dir",
        retryable: true,
        cause: error,
      });
    default:
      return new StoreError(`Could not ${action} in ${root}: ${message}`, {
        store: "dir",
        retryable: false,
        cause: error,
      });
  }
}
