import { describe, expect, it } from "vitest";
import { listingCallsFor } from "./listing-calls.ts";

describe("listingCallsFor", () => {
  it.each([
    ["ext4", 0xef53, "sync"],
    ["xfs", 0x58465342, "sync"],
    ["btrfs", 0x9123683e, "sync"],
    ["tmpfs", 0x01021994, "sync"],
    ["overlayfs", 0x794c7630, "sync"],
    ["NFS", 0x6969, "concurrent"],
    ["FUSE (hf-mount, s3fs)", 0x65735546, "concurrent"],
    ["Lustre (FSx)", 0x0bd00bd0, "concurrent"],
    ["SMB2", 0xfe534d42, "concurrent"],
    ["CIFS", 0xff534d42, "concurrent"],
    ["an unknown type", 0x12345678, "concurrent"],
    ["no statfs answer", null, "concurrent"],
  ] as const)("%s: %s", (_name, type, expected) => {
    expect(listingCallsFor(type)).toBe(expected);
  });
});
