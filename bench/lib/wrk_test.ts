import { parseWrk, parseWrkTime } from "./wrk.ts";

const REPORT = `Running 8s test @ http://127.0.0.1:8080/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   315.21us  100.00us   5.00ms   90.00%
    Req/Sec   101.34k     2.00k  105.00k    70.00%
  Latency Distribution
     50%  290.00us
     75%  320.00us
     90%  400.00us
     99%    1.02ms
  806400 requests in 8.00s, 118.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 12
Requests/sec: 100800.00
Transfer/sec:     14.75MB
`;

function assertEquals(actual: unknown, expected: unknown) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

Deno.test("parseWrkTime reads wrk's units", () => {
  assertEquals([parseWrkTime("290.00us"), parseWrkTime("1.02ms"), parseWrkTime("2.00s")], [0.29, 1.02, 2000]);
});

Deno.test("parseWrk reads throughput, percentiles and errors", () => {
  const result = parseWrk(REPORT, "http://x/", 32);
  assertEquals(
    [result.requests, result.rps, result.p50, result.p99, result.errors],
    [806400, 100800, 0.29, 1.02, 17],
  );
  assertEquals(Math.round(result.bytesPerSec), Math.round(14.75 * 1024 * 1024));
});
