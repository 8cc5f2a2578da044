/**
 * The HTTP/1.1 corpus (http1/corpus/*.json) run through the real proxy: the
 * listener, `createProxy` and its pooled upstream client, in front of a raw
 * TCP backend that records every byte it receives. Each case asserts both
 * sides: what the client got, and what reached the backend.
 */
import assert from "node:assert/strict";
import { Http1Server, jsonAnswer } from "../../http1/mod.ts";
import { createProxy, isFunkoTarget } from "./forward.ts";
import { type AnswerPiece, type Exchange, RawBackend, rawExchange, type SeenRequest } from "./raw_peers.ts";
import { RoutingTable } from "./routing_table.ts";

interface RequestCase {
  id: string;
  source: string;
  send: string;
  expect: {
    /** The first answer's status (one of them, when a list). */
    status?: number | number[];
    /** Every answer's status, in order. */
    statuses?: number[];
    /** The proxy closed the connection after answering. */
    closed?: boolean;
    /** The answer (and close, when expected) came within this many ms. */
    withinMs?: number;
    /** Requests the backend read in full. */
    backendRequests: number;
    /** Texts the backend received (anywhere in its bytes). */
    backendHas?: string[];
    /** Texts the backend must not have received. */
    backendLacks?: string[];
    /** Header lines (`name: value`, name lowercase) the client's first answer must not have. */
    answerLacks?: string[];
  };
}

interface ResponseCase {
  id: string;
  source: string;
  method?: string;
  /** What the backend writes for the case's request. */
  answer: AnswerPiece[];
  /** Milliseconds between the three later clients; 100 unless set. */
  gapMs?: number;
  expect: {
    status: number | number[];
    body?: string;
    /** The client got a complete answer (default); false: cut off, which the client can tell. */
    complete?: boolean;
    /** Header lines (`name: value`, name lowercase) the client's answer must have; lines or names it must lack. */
    headersHave?: string[];
    headersLack?: string[];
    withinMs?: number;
    /** The later requests reached the backend on another connection than the case's. */
    freshConnection?: boolean;
  };
}

const requests: RequestCase[] = JSON.parse(
  await Deno.readTextFile(new URL("../../http1/corpus/requests.json", import.meta.url)),
);
const responses: ResponseCase[] = JSON.parse(
  await Deno.readTextFile(new URL("../../http1/corpus/responses.json", import.meta.url)),
);

/** The real listener and proxy in front of `backend`; upstream timeouts of 1 s so that hangs show. */
function proxyFor(backend: RawBackend) {
  const table = new RoutingTable();
  table.upsert({
    id: "corpus-1",
    name: "faaso-corpus-1",
    funko: "corpus",
    state: "running",
    health: "healthy",
    address: "127.0.0.1",
    imageId: "none",
    created: new Date(),
    port: backend.port,
    healthPath: null,
  });
  const proxy = createProxy({
    table,
    funkoExists: () => Promise.resolve(true),
    upstreamTimeoutMs: 1000,
    bodyTimeoutMs: 1000,
  });
  const server = Http1Server.listen({
    hostname: "127.0.0.1",
    port: 0,
    handler: (request) => isFunkoTarget(request.target) ? proxy(request) : jsonAnswer(404, "not_found", "not here"),
  });
  return {
    port: server.addr.port,
    async [Symbol.asyncDispose]() {
      proxy.close();
      server.closeAll();
      await server.finished;
      backend.close();
    },
  };
}

const OK_ANSWER = (request: SeenRequest): AnswerPiece[] => {
  const body = `seen ${request.head.split(" ", 2)[1]}`;
  return [`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`];
};

function statusMatches(actual: number | undefined, expected: number | number[]): boolean {
  return Array.isArray(expected) ? expected.includes(actual ?? 0) : actual === expected;
}

function describe(exchange: Exchange): string {
  return JSON.stringify(exchange.raw.slice(0, 400));
}

Deno.test("corpus: requests through the listener and the pooled client", async (t) => {
  for (const item of requests) {
    await t.step(`${item.id} (${item.source})`, async () => {
      const backend = new RawBackend(OK_ANSWER);
      await using proxy = proxyFor(backend);
      const expect = item.expect;
      const count = expect.statuses?.length ?? 1;
      const exchange = await rawExchange(proxy.port, item.send, {
        answers: count,
        settleMs: expect.closed ? 1000 : 50,
        timeoutMs: 3000,
      });
      const got = exchange.answers.map((answer) => answer.status);
      if (expect.status !== undefined) {
        assert.ok(
          statusMatches(got[0], expect.status),
          `status ${got[0]}, expected ${expect.status}: ${describe(exchange)}`,
        );
      }
      if (expect.statuses) assert.deepEqual(got, expect.statuses, describe(exchange));
      if (expect.closed !== undefined) {
        assert.equal(exchange.closed, expect.closed, `closed: ${exchange.closed}: ${describe(exchange)}`);
      }
      if (expect.withinMs !== undefined) {
        assert.ok(exchange.elapsedMs <= expect.withinMs, `answered after ${Math.round(exchange.elapsedMs)} ms`);
      }
      for (const line of expect.answerLacks ?? []) {
        assert.ok(!exchange.answers[0]?.headers.includes(line), `the answer has ${line}`);
      }
      // Give the backend a moment to read what the proxy sent last.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const received = backend.received.join("");
      assert.equal(
        backend.requests.length,
        expect.backendRequests,
        `backend read ${backend.requests.length} requests: ${JSON.stringify(received.slice(0, 400))}`,
      );
      for (const text of expect.backendHas ?? []) {
        assert.ok(received.includes(text), `backend lacks ${JSON.stringify(text)}: ${JSON.stringify(received)}`);
      }
      for (const text of expect.backendLacks ?? []) {
        assert.ok(!received.includes(text), `backend got ${JSON.stringify(text)}: ${JSON.stringify(received)}`);
      }
    });
  }
});

Deno.test("corpus: answers through the pooled client, then three clients each get their own", async (t) => {
  for (const item of responses) {
    await t.step(`${item.id} (${item.source})`, async () => {
      const backend = new RawBackend((request) => {
        const path = request.head.split(" ", 2)[1] ?? "";
        if (path === "/case") return item.answer;
        const body = `own ${path}`;
        return [`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`];
      });
      await using proxy = proxyFor(backend);
      const method = item.method ?? "GET";
      const first = await rawExchange(
        proxy.port,
        `${method} /funko/corpus/case HTTP/1.1\r\nhost: corpus\r\nconnection: close\r\n\r\n`,
        { head: method === "HEAD", timeoutMs: 3000 },
      );
      const expect = item.expect;
      const answer = first.answers[0];
      assert.ok(statusMatches(answer?.status, expect.status), `status ${answer?.status}: ${describe(first)}`);
      assert.equal(answer?.complete, expect.complete ?? true, `complete: ${describe(first)}`);
      if (expect.body !== undefined) assert.equal(answer?.body, expect.body, describe(first));
      for (const line of expect.headersHave ?? []) assert.ok(answer?.headers.includes(line), `lacks ${line}`);
      for (const lacked of expect.headersLack ?? []) {
        const found = answer?.headers.some((line) => line === lacked || line.startsWith(`${lacked}:`));
        assert.ok(!found, `has ${lacked}: ${describe(first)}`);
      }
      if (expect.withinMs !== undefined) {
        assert.ok(first.elapsedMs <= expect.withinMs, `answered after ${Math.round(first.elapsedMs)} ms`);
      }
      // Three clients on separate connections, some time apart: each gets its own answer.
      for (let i = 1; i <= 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, item.gapMs ?? 100));
        const later = await rawExchange(
          proxy.port,
          `GET /funko/corpus/own${i} HTTP/1.1\r\nhost: corpus\r\nconnection: close\r\n\r\n`,
          { timeoutMs: 3000 },
        );
        assert.equal(later.answers.length, 1, `client ${i} got ${describe(later)}`);
        assert.equal(later.answers[0]?.status, 200, `client ${i} got ${describe(later)}`);
        assert.equal(later.answers[0]?.body, `own /own${i}`, `client ${i} got ${describe(later)}`);
      }
      // The backend saw the case's request and each later one once, intact.
      const lines = backend.requests.map((request) => request.head.split("\r\n", 1)[0]);
      for (let i = 1; i <= 3; i++) {
        assert.equal(lines.filter((line) => line === `GET /own${i} HTTP/1.1`).length, 1, JSON.stringify(lines));
      }
      if (expect.freshConnection) {
        const caseConnection = backend.requests.find((request) => request.head.includes(" /case "))?.connection;
        const later = backend.requests.filter((request) => request.head.includes(" /own"));
        assert.ok(later.every((request) => request.connection !== caseConnection), "the case's connection was reused");
      }
    });
  }
});
