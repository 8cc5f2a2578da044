/**
 * The admin password and the tokens traded for it. The password comes from
 * FAASO_PASSWORD, the config file, or is generated on first start and only
 * its hash stored. Tokens are HMAC-signed, so the server keeps no session
 * list; changing the password invalidates them all.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import type { DataFolder } from "../core/data_folder.ts";

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };
/** How long a token is valid. */
export const TOKEN_LIFETIME_MS = 30 * 24 * 3600 * 1000;

/** Hashes a password as `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
  const hash = await scryptAsync(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64"), hash.toString("base64")].join("$");
}

/** Checks a password against a hash from {@linkcode hashPassword}, in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split("$");
  if (kind !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = await scryptAsync(password, Buffer.from(salt, "base64"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** What `auth.json` holds. */
interface AuthFile {
  /** Hash of the generated password (absent when the password comes from elsewhere). */
  passwordHash?: string;
  /** Key that signs tokens (base64). */
  tokenKey: string;
}

/** Where the admin password came from. */
export type PasswordSource = "FAASO_PASSWORD" | "config.yml" | "generated";

/** The admin credentials of a running server. */
export class Credentials {
  #passwordHash: string;
  #signingKey: CryptoKey;
  /** Where the password came from. */
  readonly source: PasswordSource;

  private constructor(passwordHash: string, signingKey: CryptoKey, source: PasswordSource) {
    this.#passwordHash = passwordHash;
    this.#signingKey = signingKey;
    this.source = source;
  }

  /**
   * Loads the credentials: FAASO_PASSWORD first, then `config.yml`, else a
   * password generated now (returned once in `generated`, stored only hashed).
   */
  static async load(
    data: DataFolder,
    env: { password?: string } = {},
  ): Promise<{ credentials: Credentials; generated?: string }> {
    await data.ensure();
    const config = await data.readConfig();
    let file: AuthFile | undefined;
    try {
      file = JSON.parse(await Deno.readTextFile(data.authFile)) as AuthFile;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    let generated: string | undefined;
    let source: PasswordSource;
    let passwordHash: string;
    if (env.password) {
      source = "FAASO_PASSWORD";
      passwordHash = await hashPassword(env.password);
    } else if (config.password_hash || config.password) {
      source = "config.yml";
      passwordHash = config.password_hash ?? await hashPassword(config.password!);
    } else if (file?.passwordHash) {
      source = "generated";
      passwordHash = file.passwordHash;
    } else {
      source = "generated";
      generated = randomPassword();
      passwordHash = await hashPassword(generated);
    }
    const tokenKey = file?.tokenKey ?? Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
    const stored: AuthFile = { tokenKey, ...(source === "generated" ? { passwordHash } : {}) };
    if (JSON.stringify(stored) !== JSON.stringify(file)) {
      await data.writePrivate(data.authFile, JSON.stringify(stored, null, 2));
    }
    // Tokens are signed with a key bound to the password: a new password voids old tokens.
    const material = new TextEncoder().encode(
      `${tokenKey}:${source === "generated" ? passwordHash : "configured"}:${
        env.password ?? config.password ?? config.password_hash ?? ""
      }`,
    );
    const digest = await crypto.subtle.digest("SHA-256", material);
    const signingKey = await crypto.subtle.importKey("raw", digest, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    return { credentials: new Credentials(passwordHash, signingKey, source), generated };
  }

  /** Checks the admin password (constant time). */
  checkPassword(password: string): Promise<boolean> {
    return verifyPassword(password, this.#passwordHash);
  }

  /** Issues a token valid for `lifetimeMs` (default {@linkcode TOKEN_LIFETIME_MS}). */
  async issueToken(now = Date.now(), lifetimeMs = TOKEN_LIFETIME_MS): Promise<{ token: string; expires: string }> {
    const expires = now + lifetimeMs;
    const payload = base64url(new TextEncoder().encode(JSON.stringify({ sub: "admin", exp: expires })));
    const signature = await crypto.subtle.sign("HMAC", this.#signingKey, new TextEncoder().encode(payload));
    return { token: `${payload}.${base64url(new Uint8Array(signature))}`, expires: new Date(expires).toISOString() };
  }

  /** Whether a token was issued by this server, for this password, and has not expired. */
  async checkToken(token: string, now = Date.now()): Promise<boolean> {
    const [payload, signature] = token.split(".");
    if (!payload || !signature) return false;
    let valid = false;
    try {
      valid = await crypto.subtle.verify(
        "HMAC",
        this.#signingKey,
        fromBase64url(signature),
        new TextEncoder().encode(payload),
      );
    } catch {
      return false;
    }
    if (!valid) return false;
    try {
      const claims = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as { exp?: number };
      return typeof claims.exp === "number" && claims.exp > now;
    } catch {
      return false;
    }
  }
}

/**
 * Slows down password guessing: after `freeAttempts` failures from one
 * address, each further attempt must wait, doubling up to `maxDelayMs`.
 */
export class LoginThrottle {
  #failures = new Map<string, { count: number; last: number }>();
  #freeAttempts: number;
  #maxDelayMs: number;

  constructor(freeAttempts = 5, maxDelayMs = 15 * 60 * 1000) {
    this.#freeAttempts = freeAttempts;
    this.#maxDelayMs = maxDelayMs;
  }

  /** Milliseconds `address` must still wait before its next attempt (0: go ahead). */
  waitFor(address: string, now = Date.now()): number {
    const entry = this.#failures.get(address);
    if (!entry || entry.count < this.#freeAttempts) return 0;
    const delay = Math.min(1000 * 2 ** (entry.count - this.#freeAttempts), this.#maxDelayMs);
    return Math.max(0, entry.last + delay - now);
  }

  /** Records a failed attempt. */
  fail(address: string, now = Date.now()): void {
    const entry = this.#failures.get(address);
    this.#failures.set(address, { count: (entry?.count ?? 0) + 1, last: now });
    if (this.#failures.size > 10_000) this.#failures.delete(this.#failures.keys().next().value!);
  }

  /** Forgets an address's failures after a success. */
  succeed(address: string): void {
    this.#failures.delete(address);
  }
}

/** A random password of 24 characters from an unambiguous alphabet. */
export function randomPassword(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  return Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => alphabet[b % alphabet.length]).join("");
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(text, "base64url"));
}
