/**
 * Property-based fuzzing (fast-check) of both head parsers and of chunked
 * decoding, each for a bounded time: HTTP1_FUZZ_MS per property (default
 * 1000 ms; set it higher to fuzz longer locally). Heads are generated from
 * the pieces that smuggling is made of (odd whitespace, doubled and padded
 * framing headers, bare line ends, control bytes) as well as from arbitrary
 * Latin-1 text.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BadRequestError,
  checkPartialResponseHead,
  FORBIDDEN,
  type Framing,
  parseHead,
  UpstreamError,
} from "./head.ts";
import { Http1Reader } from "./reader.ts";
import { checkPartialRequestHead, parseRequestHead } from "./request_head.ts";

const BUDGET_MS = Number(Deno.env.get("HTTP1_FUZZ_MS") ?? 1000);
const RUNS = { numRuns: 1_000_000, interruptAfterTimeLimit: BUDGET_MS };

/** Latin-1 text: any byte as one character, control bytes included. */
const latin1Text = (maxLength: number) =>
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength }).map((codes) => String.fromCharCode(...codes));

const NAMES = [
  "Host",
  "host",
  "Content-Length",
  "content-length",
  "Transfer-Encoding",
  "transfer-encoding",
  "Connection",
  "X-A",
  "Content-Length ",
  " Transfer-Encoding",
  "Transfer_Encoding",
  "Content-Length\x85",
  "",
];
const VALUES = [
  "chunked",
  "Chunked",
  " chunked",
  "chunked\t",
  "\x0bchunked",
  "\xa0chunked",
  "chunked\x0c",
  "chunked, chunked",
  "gzip, chunked",
  ",chunked",
  "xchunked",
  "5",
  "05",
  "010",
  " 5 ",
  "5\x0b",
  "\xa05",
  "-5",
  "+5",
  "0x5",
  "5 5",
  "5, 5",
  "",
  "keep-alive",
  "close",
  "h",
  "h:80",
  "[::1]:80",
  "a b",
  "a\x00b",
];
const name = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: latin1Text(12) });
const value = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...VALUES) }, { weight: 1, arbitrary: latin1Text(16) });
const separator = fc.constantFrom(":", ": ", ":\t", " :", ":  ");
const lineEnd = fc.oneof(
  { weight: 20, arbitrary: fc.constant("\r\n") },
  { weight: 1, arbitrary: fc.constantFrom("\n", "\r", "\r\r\n", "\n\r") },
);
const fieldLines = fc.array(fc.tuple(name, separator, value, lineEnd), { maxLength: 6 })
  .map((lines) => lines.map(([n, s, v, e]) => `${n}${s}${v}${e}`).join(""));

/** Request heads (without their blank line) from smuggling's pieces. */
const requestHead = fc.tuple(
  fc.constantFrom("\r\n", "", "", ""),
  fc.constantFrom("GET", "POST", "PUT", "HEAD", "OPTIONS", "G=T", "", "GET "),
  fc.constantFrom("/", "/a?b=1", "*", "http://h/x", "http://h?x=1", "https://u@h/", "!", "/a b", "/a\x00b", "/\xe9"),
  fc.constantFrom("HTTP/1.1", "HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "HTTP/1.10", "HTTP/1", "http/1.1"),
  lineEnd,
  fieldLines,
).map(([lead, method, target, version, end, lines]) => `${lead}${method} ${target} ${version}${end}${lines}`)
  .map((text) => text.replace(/\r\n$/, ""));

/** Response heads (without their blank line) from the same pieces. */
const responseHead = fc.tuple(
  fc.constantFrom("HTTP/1.1", "HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "HTTP/1.1 ", "HTTP/01.1"),
  fc.constantFrom("200", "204", "304", "100", "101", "404", "999", "2"),
  fc.constantFrom(" OK", "", " ", " O\x01K", " Caf\xe9"),
  lineEnd,
  fieldLines,
).map(([version, status, reason, end, lines]) => `${version} ${status}${reason}${end}${lines}`)
  .map((text) => text.replace(/\r\n$/, ""));

/**
 * How a lenient reader frames a request (one of the ways front ends and
 * servers have been found to: lines split on LF, values stripped with JS
 * trim(), numbers read as their longest prefix, any "chunked" taken, the
 * first or the last Content-Length winning): a body length, or -1 for
 * chunked.
 */
function lenientLength(text: string, lastWins: boolean, trimNames: boolean): number {
  let length: number | undefined;
  let chunked = false;
  for (const line of text.replace(/^(\r?\n)+/, "").split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const rawName = line.slice(0, colon);
    const name = (trimNames ? rawName.trim() : rawName).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length" && (lastWins || length === undefined)) length = parseInt(value, 10);
    if (name === "transfer-encoding" && /chunked/i.test(value)) chunked = true;
  }
  return chunked ? -1 : Number.isNaN(length) ? 0 : length ?? 0;
}

/**
 * How a strict reader frames a request: values stripped of SP and HTAB only
 * (RFC 9110 OWS), Content-Length only as digits, Transfer-Encoding only as
 * `chunked`; -2 when it would find the framing invalid.
 */
function strictLength(text: string): number {
  let length: number | undefined;
  let chunked = false;
  for (const line of text.replace(/^(\r\n)+/, "").split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (name === "content-length") {
      if (!/^\d+$/.test(value) || (length !== undefined && length !== Number(value))) return -2;
      length = Number(value);
    }
    if (name === "transfer-encoding") {
      if (value.toLowerCase() !== "chunked" || chunked) return -2;
      chunked = true;
    }
  }
  return chunked ? (length === undefined ? -1 : -2) : length ?? 0;
}

function lengthOf(framing: Framing): number {
  return framing.kind === "chunked" ? -1 : framing.kind === "length" ? framing.remaining : 0;
}

Deno.test("fuzz: parseRequestHead throws only BadRequestError, and what it accepts no lenient reader frames otherwise", () => {
  fc.assert(
    fc.property(fc.oneof(requestHead, latin1Text(200)), (text) => {
      let head;
      try {
        head = parseRequestHead(text);
      } catch (error) {
        if (error instanceof BadRequestError) return;
        throw error;
      }
      const ours = lengthOf(head.framing);
      assert.equal(strictLength(text), ours, "a strict reader would frame it otherwise");
      for (const lastWins of [false, true]) {
        for (const trimNames of [false, true]) {
          assert.equal(lenientLength(text, lastWins, trimNames), ours, "another reader would frame it otherwise");
        }
      }
      // What it accepted, written out again, reads the same.
      const again = parseRequestHead(
        [`${head.method} ${head.target} HTTP/1.${head.http10 ? 0 : 1}`, ...head.headers.map(([n, v]) => `${n}: ${v}`)]
          .join("\r\n"),
      );
      assert.deepEqual(again, head);
    }),
    RUNS,
  );
});

Deno.test("fuzz: parseHead throws only UpstreamError, and round-trips what it accepts", () => {
  fc.assert(
    fc.property(fc.oneof(responseHead, latin1Text(200)), fc.constantFrom("GET", "HEAD"), (text, method) => {
      let head;
      try {
        head = parseHead(text, method);
      } catch (error) {
        if (error instanceof UpstreamError && error.kind === "protocol") return;
        throw error;
      }
      const chunked = head.framing.kind === "chunked";
      if (head.framing.kind !== "none") {
        const length = lenientLength(`x\r\n${text.slice(text.indexOf("\r\n") + 2)}`, false, false);
        assert.equal(length === -1, chunked, "another reader would see chunked otherwise");
        if (!chunked && head.framing.kind === "length") assert.equal(length, head.framing.remaining);
      }
      const again = parseHead(
        [`HTTP/1.1 ${head.status} ${head.statusText}`, ...head.headers.map(([n, v]) => `${n}: ${v}`)].join("\r\n"),
        method,
      );
      assert.deepEqual([again.status, again.statusText, again.headers, again.framing], [
        head.status,
        head.statusText,
        head.headers,
        head.framing,
      ]);
    }),
    RUNS,
  );
});

Deno.test("fuzz: a valid head arriving in pieces is never refused before its end", () => {
  fc.assert(
    fc.property(requestHead, fc.integer({ min: 0, max: 1000 }), (text, cut) => {
      try {
        parseRequestHead(text);
      } catch {
        return;
      }
      const whole = `${text}\r\n\r\n`;
      checkPartialRequestHead(whole.slice(0, cut % whole.length));
    }),
    RUNS,
  );
  fc.assert(
    fc.property(responseHead, fc.integer({ min: 0, max: 1000 }), (text, cut) => {
      try {
        parseHead(text, "GET");
      } catch {
        return;
      }
      const whole = `${text}\r\n\r\n`;
      checkPartialResponseHead(whole.slice(0, cut % whole.length));
    }),
    RUNS,
  );
});

/** A connection that hands out `bytes` in the given pieces, then its end. */
function pieces(bytes: Uint8Array, cuts: number[]): Deno.Conn {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    if (point > from) parts.push(bytes.subarray(from, point));
    from = Math.max(from, point);
  }
  return {
    read(buffer: Uint8Array): Promise<number | null> {
      const part = parts.shift();
      if (!part) return Promise.resolve(null);
      const count = Math.min(buffer.length, part.length);
      buffer.set(part.subarray(0, count));
      if (count < part.length) parts.unshift(part.subarray(count));
      return Promise.resolve(count);
    },
  } as unknown as Deno.Conn;
}

const bytesOf = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const latin1Of = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/** A chunked encoding with the variations RFC 9112 allows: extensions with BWS, hex in either case, leading zeros, trailers. */
const chunkedBody = fc.record({
  chunks: fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 6 }),
  extension: fc.constantFrom("", ";a", ";a=b", " ;a=b", '\t; a = "q \\" d"', ";x;y=z"),
  upper: fc.boolean(),
  zeros: fc.constantFrom("", "0", "000"),
  trailers: fc.constantFrom("", "X-T: 1\r\n", "A: b\r\nC:\td\r\n"),
  cuts: fc.array(fc.nat(), { maxLength: 8 }),
});

function encode(body: { chunks: Uint8Array[]; extension: string; upper: boolean; zeros: string; trailers: string }) {
  let text = "";
  for (const chunk of body.chunks) {
    const size = chunk.length.toString(16);
    text += `${body.zeros}${body.upper ? size.toUpperCase() : size}${body.extension}\r\n${latin1Of(chunk)}\r\n`;
  }
  return `${text}${body.zeros}0${body.extension}\r\n${body.trailers}\r\n`;
}

async function decode(conn: Deno.Conn): Promise<{ body: string; rest: string }> {
  const reader = new Http1Reader(conn, 16);
  const framing: Framing = { kind: "chunked" };
  let body = "";
  while (true) {
    const chunk = await reader.readBody(framing);
    if (!chunk) break;
    body += latin1Of(chunk);
  }
  return { body, rest: latin1Of(reader.takeAll()) };
}

Deno.test("fuzz: chunked decoding returns what was encoded and ends exactly where the encoding does", async () => {
  await fc.assert(
    fc.asyncProperty(chunkedBody, async (body) => {
      const next = "GET /next HTTP/1.1\r\n";
      const bytes = bytesOf(encode(body) + next);
      // What a reader got before its end stays in the buffer: here all of it arrives, so all of it is there.
      const { body: decoded, rest } = await decode(pieces(bytes, body.cuts.concat(bytes.length)));
      assert.equal(decoded, body.chunks.map(latin1Of).join(""));
      assert.ok(next.startsWith(rest), "nothing past the end was taken as body");
    }),
    RUNS,
  );
});

Deno.test("fuzz: mangled chunked bodies fail only with UpstreamError, and never hang", async () => {
  await fc.assert(
    fc.asyncProperty(
      chunkedBody,
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom("replace", "insert", "delete"),
      async (body, at, byte, how) => {
        const bytes = [...bytesOf(encode(body))];
        const index = at % bytes.length;
        if (how === "replace") bytes[index] = byte;
        else if (how === "insert") bytes.splice(index, 0, byte);
        else bytes.splice(index, 1);
        try {
          await decode(pieces(Uint8Array.from(bytes), body.cuts));
        } catch (error) {
          if (!(error instanceof UpstreamError)) throw error;
        }
      },
    ),
    RUNS,
  );
});

Deno.test("fuzz: the reader's scan for control bytes and bare line ends agrees with FORBIDDEN", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(requestHead, responseHead, latin1Text(120)),
      fc.array(fc.nat(), { maxLength: 4 }),
      async (text, cuts) => {
        const reader = new Http1Reader(pieces(bytesOf(`${text}\r\n\r\n`), cuts), 16);
        const head = await reader.readHead(64 * 1024);
        assert.ok(head !== null);
        assert.equal(reader.headSuspect, FORBIDDEN.test(head));
      },
    ),
    RUNS,
  );
});
