/**
 * The admin password and the tokens traded for it. The password comes from
 * FAASO_PASSWORD, the config file, or is generated on first start and only
 * its hash stored. Tokens are HMAC-signed, so the server keeps no session
 * list; changing the password invalidates them all.
 *
 * @module
 */
import type { DataFolder } from "../../core/data_folder.ts";

/** PBKDF2-SHA256 iterations for stored password hashes (OWASP's 2023 figure): about 90 ms per check here. */
const PBKDF2_ITERATIONS = 600_000;
/** How long a token is valid. */
export const TOKEN_LIFETIME_MS = 30 * 24 * 3600 * 1000;

/**
 * Hashes a password as `pbkdf2-sha256$ITERATIONS$SALT$HASH` (base64). PBKDF2
 * rather than scrypt: scrypt's 16 MB per check stayed in the server's memory.
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, PBKDF2_ITERATIONS);
  return ["pbkdf2-sha256", PBKDF2_ITERATIONS, salt.toBase64(), hash.toBase64()].join("$");
}

/** Checks a password against a hash from {@linkcode hashPassword}, in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, iterations, salt, hash] = stored.split("$");
  if (kind !== "pbkdf2-sha256" || !salt || !hash || !(Number(iterations) > 0)) return false;
  const expected = Uint8Array.fromBase64(hash);
  return equalBytes(await pbkdf2(password, Uint8Array.fromBase64(salt), Number(iterations)), expected);
}

async function pbkdf2(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(
    await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256),
  );
}

/** Compares equal-length byte arrays in time that does not depend on where they differ. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
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
  #check: (password: string) => Promise<boolean>;
  #signingKey: CryptoKey;
  /** Where the password came from. */
  readonly source: PasswordSource;

  private constructor(check: (password: string) => Promise<boolean>, signingKey: CryptoKey, source: PasswordSource) {
    this.#check = check;
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
    let passwordHash: string | undefined;
    let check: (password: string) => Promise<boolean>;
    const plain = env.password ?? config.password;
    if (plain) {
      // Known in clear (environment or config): a slow hash would protect nothing, compare digests.
      source = env.password ? "FAASO_PASSWORD" : "config.yml";
      const expected = await sha256(plain);
      check = async (password) => equalBytes(await sha256(password), expected);
    } else {
      source = config.password_hash ? "config.yml" : "generated";
      if (!config.password_hash && !file?.passwordHash) generated = randomPassword();
      passwordHash = config.password_hash ?? file?.passwordHash ?? await hashPassword(generated!);
      const stored = passwordHash;
      check = (password) => verifyPassword(password, stored);
    }
    const tokenKey = file?.tokenKey ?? crypto.getRandomValues(new Uint8Array(32)).toBase64();
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
    return { credentials: new Credentials(check, signingKey, source), generated };
  }

  /** Checks the admin password (constant time). */
  checkPassword(password: string): Promise<boolean> {
    return this.#check(password);
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

  /**
   * Runs a password check for `address`. The attempt counts as a failure
   * before the (slow) check runs, so that guesses sent in parallel are
   * throttled too; a success clears the count.
   */
  async attempt(address: string, check: () => Promise<boolean>): Promise<LoginOutcome> {
    const waitMs = this.waitFor(address);
    if (waitMs > 0) return { kind: "throttled", waitMs };
    this.fail(address);
    if (!await check()) return { kind: "wrong" };
    this.succeed(address);
    return { kind: "ok" };
  }
}

/** How a login attempt ended. */
export type LoginOutcome = { kind: "ok" } | { kind: "wrong" } | { kind: "throttled"; waitMs: number };

/** The client's address from Deno.serve's handler info ("unknown" when there is none, as in app.request). */
export function clientAddress(env: unknown): string {
  const addr = (env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
  return addr?.hostname ?? "unknown";
}

/** A random password of 24 characters from an unambiguous alphabet. */
export function randomPassword(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  return Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => alphabet[b % alphabet.length]).join("");
}

function base64url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.fromBase64(text, { alphabet: "base64url" });
}
