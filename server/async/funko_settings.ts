/**
 * The settings of each funko's latest image, as the async delivery and the
 * scheduler read them: one engine call per funko every few seconds at most.
 *
 * @module
 */
import type { Docker } from "../../docker/mod.ts";
import { type FunkoSettings, settingsFromLabels } from "../../core/manifest.ts";
import { LABELS, latestImage } from "../../core/names.ts";

/** How long a funko's settings are reused before the image is inspected again. */
const FRESH_MS = 2000;

/** Reads and caches funko settings from image labels. */
export class ImageSettings {
  #docker: Docker;
  #cache = new Map<string, { settings: FunkoSettings | null; at: number }>();

  constructor(docker: Docker) {
    this.#docker = docker;
  }

  /** The settings of the funko's latest image; null when it has none (no such funko). */
  async of(funko: string): Promise<FunkoSettings | null> {
    const cached = this.#cache.get(funko);
    if (cached && Date.now() - cached.at < FRESH_MS) return cached.settings;
    const image = await this.#docker.images.inspectOrNull(latestImage(funko));
    const settings = image ? settingsFromLabels(image.Config.Labels) : null;
    this.#cache.set(funko, { settings, at: Date.now() });
    if (this.#cache.size > 1000) this.#cache.delete(this.#cache.keys().next().value!);
    return settings;
  }

  /** Every funko's latest settings, by name (one listing of the engine's images). */
  async all(): Promise<Map<string, FunkoSettings>> {
    const images = await this.#docker.images.list({ label: [LABELS.funko] });
    const out = new Map<string, FunkoSettings>();
    for (const image of images) {
      const funko = image.Labels?.[LABELS.funko];
      if (funko && image.RepoTags?.includes(latestImage(funko))) out.set(funko, settingsFromLabels(image.Labels));
    }
    return out;
  }
}
