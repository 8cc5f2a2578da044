import assert from "node:assert/strict";
import { imageDockerfile, labelInstruction } from "./image_funko.ts";
import { FunkoSettings } from "./manifest.ts";

Deno.test("imageDockerfile: FROM the image, its port exposed, Docker's check only with a command", () => {
  const settings = FunkoSettings.parse({ port: 8080, health: "/healthz" });
  const plain = imageDockerfile({ name: "web", image: "team/app:1.4", settings }, "sha256:abc");
  assert.match(plain, /^FROM team\/app:1\.4$/m);
  assert.match(plain, /^EXPOSE 8080$/m);
  assert.match(plain, /sha256:abc/, "the resolved image is named, so the hash changes when the tag moves");
  assert.doesNotMatch(plain, /HEALTHCHECK|RUN|COPY|ADD/, "no layer is added");
  const checked = imageDockerfile({
    name: "web",
    image: "team/app:1.4",
    settings: FunkoSettings.parse({ healthcheck: { command: "wget -qO- localhost:3000/ok", interval: "2s" } }),
  }, "sha256:abc");
  assert.match(checked, /^HEALTHCHECK --interval=2s --timeout=3s --start-period=30s --retries=3 \\\n {2}CMD wget/m);
});

Deno.test("labelInstruction quotes values so that the builder keeps them as they are", () => {
  const line = labelInstruction({ "faaso.funko": "web", "faaso.settings": '{"env":{"A":"$HOME \\"q\\" \\\\"}}' });
  assert.equal(
    line,
    'LABEL "faaso.funko"="web" \\\n  "faaso.settings"="{\\"env\\":{\\"A\\":\\"\\$HOME \\\\\\"q\\\\\\" \\\\\\\\\\"}}"',
  );
});
