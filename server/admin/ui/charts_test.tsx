import assert from "node:assert/strict";
import { LineChart, niceMax } from "./charts.tsx";

Deno.test("niceMax rounds up to 1, 2 or 5 times a power of ten", () => {
  assert.deepEqual([0, 0.3, 1, 1.2, 3, 7, 42, 230].map(niceMax), [1, 0.5, 1, 2, 5, 10, 50, 500]);
});

Deno.test("LineChart draws each series with its points and leaves gaps for missing values", () => {
  const now = 1_000_000;
  const html = String(
    <LineChart
      id="c"
      title="Latency"
      unit="ms"
      times={[now - 30_000, now - 20_000, now - 10_000]}
      spanMs={60_000}
      now={now}
      series={[{ name: "p50", color: "blue", values: [1, null, 3] }]}
    />,
  );
  assert.match(html, /data-series="p50" data-points="2"/);
  const d = /\sd="([^"]+)"/.exec(html)![1]!;
  assert.equal(d.match(/M/g)!.length, 2, "two segments: the null splits the line");
  assert.match(html, /aria-label="Latency"/);
});
