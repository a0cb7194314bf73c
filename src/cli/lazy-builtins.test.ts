import * as nodeCrypto from "node:crypto";
import * as hashWasm from "hash-wasm";
import { describe, expect, it } from "vitest";
import * as lazyCrypto from "./lazy-crypto.ts";
import * as lazyHashWasm from "./lazy-hash-wasm.ts";

// The bundle runs on these wrappers instead of the modules themselves (package.json, --alias),
// so each must answer exactly as the module does, with every argument passed through.
describe("lazy node:crypto", () => {
  it("hashes and MACs as node:crypto does", () => {
    const data = "neff-cache";
    expect(lazyCrypto.createHash("sha256").update(data).digest("hex")).toBe(
      nodeCrypto.createHash("sha256").update(data).digest("hex"),
    );
    expect(lazyCrypto.createHmac("sha256", "key").update(data).digest("base64")).toBe(
      nodeCrypto.createHmac("sha256", "key").update(data).digest("base64"),
    );
  });

  it("passes randomBytes' size and callback through", async () => {
    expect(lazyCrypto.randomBytes(12)).toHaveLength(12);
    const viaCallback = await new Promise<Buffer>((resolve, reject) =>
      lazyCrypto.randomBytes(7, (error, bytes) => (error ? reject(error) : resolve(bytes))),
    );
    expect(viaCallback).toHaveLength(7);
  });

  it("signs with a generated key so that node:crypto verifies, and the other way round", () => {
    const { privateKey, publicKey } = lazyCrypto.generateKeyPairSync("ed25519");
    const statement = Buffer.from("entry manifest sha256");
    const signature = lazyCrypto.sign(null, statement, privateKey);
    expect(nodeCrypto.verify(null, statement, publicKey, signature)).toBe(true);
    const pem = publicKey.export({ type: "spki", format: "pem" });
    const reread = lazyCrypto.createPublicKey(pem);
    expect(lazyCrypto.verify(null, statement, reread, nodeCrypto.sign(null, statement, privateKey))).toBe(
      true,
    );
    expect(lazyCrypto.verify(null, Buffer.from("another statement"), reread, signature)).toBe(false);
    const privatePem = privateKey.export({ type: "pkcs8", format: "pem" });
    expect(lazyCrypto.createPrivateKey(privatePem).asymmetricKeyType).toBe("ed25519");
  });

  it("encrypts as node:crypto does", () => {
    const key = Buffer.alloc(32, 7);
    const iv = Buffer.alloc(16, 3);
    const viaLazy = lazyCrypto.createCipheriv("aes-256-ctr", key, iv).update("chunk bytes");
    const direct = nodeCrypto.createCipheriv("aes-256-ctr", key, iv).update("chunk bytes");
    expect(viaLazy.equals(direct)).toBe(true);
  });
});

describe("lazy hash-wasm", () => {
  it("gives the BLAKE3 hasher hash-wasm gives, key included", async () => {
    const key = new Uint8Array(32).fill(9);
    const viaLazy = await lazyHashWasm.createBLAKE3(256, key);
    const direct = await hashWasm.createBLAKE3(256, key);
    viaLazy.init();
    direct.init();
    expect(viaLazy.update("xet chunk").digest("hex")).toBe(direct.update("xet chunk").digest("hex"));
  });
});
