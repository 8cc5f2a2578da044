/**
 * The options a runtime takes (`options:` in funko.yml), declared beside its
 * templates in `options.yml`: each option's type, default and meaning. A
 * funko's options are checked against it, so that `ship_pakages: [curl]` is
 * an error naming the runtime's options rather than a build without curl.
 * A runtime folder without `options.yml` (one of a user's own) takes any
 * options unchecked.
 *
 * ```yaml
 * # runtimes/NAME/options.yml
 * ship_packages:
 *   type: list                       # string, integer, number, boolean, list (of text), map (NAME: value)
 *   pattern: "^[a-z0-9][a-z0-9+.-]+$"  # text, or each item of a list, must match
 *   pattern_means: a Debian package name
 *   default: []
 *   description: Debian packages added to the image.
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { FaasoError } from "./errors.ts";
import { formatIssues } from "./manifest.ts";

/** The file in a runtime folder that declares its options. */
export const OPTIONS_FILE = "options.yml";

const OPTION_TYPES = ["string", "integer", "number", "boolean", "list", "map"] as const;

/** How one option is declared. */
export const OptionSpec = z.object({
  /** What it holds. */
  type: z.enum(OPTION_TYPES),
  /** What it does, for people. */
  description: z.string().min(1, "say what the option does"),
  /** Its value when the funko does not give one. */
  default: z.unknown().optional(),
  /** A regular expression text (or each list item) must match. */
  pattern: z.string().refine((text) => {
    try {
      new RegExp(text);
      return true;
    } catch {
      return false;
    }
  }, "use a valid regular expression").optional(),
  /** What `pattern` means, in words ("a Debian package name"). */
  pattern_means: z.string().optional(),
  /** The smallest number allowed. */
  min: z.number().optional(),
  /** The largest number allowed. */
  max: z.number().optional(),
}).strict();

/** A validated option declaration. */
export type OptionSpec = z.infer<typeof OptionSpec>;

/** A runtime's `options.yml`: option name -> declaration. */
export const RuntimeOptionsFile = z.record(
  z.string().regex(/^[a-z][a-z0-9_]*$/, "name options with lowercase letters, digits and '_'"),
  OptionSpec,
);

/** A runtime's declared options. */
export type RuntimeOptions = Record<string, OptionSpec>;

/**
 * Reads `options.yml` of a runtime folder; undefined when it has none. A
 * malformed file is an error naming the file and the field.
 */
export async function readRuntimeOptions(folder: string): Promise<RuntimeOptions | undefined> {
  const file = join(folder, OPTIONS_FILE);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const { parse } = await import("yaml");
  let data: unknown;
  try {
    data = parse(text) ?? {};
  } catch (error) {
    throw new FaasoError(`${file}: ${(error as Error).message.split("\n")[0]}`, { cause: error });
  }
  const parsed = RuntimeOptionsFile.safeParse(data);
  if (!parsed.success) throw new FaasoError(`${file}: ${formatIssues(parsed.error)}`);
  for (const [name, spec] of Object.entries(parsed.data)) {
    if (spec.default === undefined) continue;
    const checked = valueSchema(spec).safeParse(spec.default);
    if (!checked.success) {
      throw new FaasoError(`${file}: ${name}.default: ${checked.error.issues[0]?.message}`);
    }
  }
  return parsed.data;
}

/**
 * Checks a funko's options against its runtime's declarations and returns
 * them with the defaults filled in. `where` names the funko.yml in messages;
 * `runtime` the runtime.
 */
export function checkOptions(
  options: Record<string, unknown>,
  declared: RuntimeOptions,
  runtime: string,
  where: string,
): Record<string, unknown> {
  const names = Object.keys(declared);
  const valid = names.length
    ? `the ${runtime} runtime's options are ${names.join(", ")}`
    : `the ${runtime} runtime takes none`;
  const checked: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(options)) {
    const spec = declared[name];
    if (!spec) {
      const guess = closest(name, names);
      problems.push(`options.${name}: unknown option (${valid}${guess ? `; did you mean ${guess}?` : ""})`);
      continue;
    }
    const parsed = valueSchema(spec).safeParse(value);
    if (parsed.success) checked[name] = parsed.data;
    else {
      for (const issue of parsed.error.issues) {
        const message = issue.code === "invalid_key"
          ? issue.issues.map((inner) => inner.message).join("; ")
          : issue.message;
        problems.push(`${["options", name, ...issue.path].join(".")}: ${message}`);
      }
    }
  }
  if (problems.length) throw new FaasoError(`${where}: ${problems.join("; ")}`);
  for (const [name, spec] of Object.entries(declared)) {
    if (!(name in checked) && spec.default !== undefined) checked[name] = structuredClone(spec.default);
  }
  return checked;
}

/** The zod schema of one declared option's value. */
function valueSchema(spec: OptionSpec): z.ZodType {
  const text = (what: string) => {
    const base = z.string({ error: `use ${what}` });
    if (!spec.pattern) return base;
    const pattern = new RegExp(spec.pattern);
    return base.regex(pattern, `use ${spec.pattern_means ?? `text matching ${spec.pattern}`}`);
  };
  const number = (base: z.ZodNumber) => {
    let schema = base;
    if (spec.min !== undefined) schema = schema.min(spec.min, `use at least ${spec.min}`);
    if (spec.max !== undefined) schema = schema.max(spec.max, `use at most ${spec.max}`);
    return schema;
  };
  switch (spec.type) {
    case "string":
      return text("text");
    case "integer":
      return number(z.number({ error: "use a whole number" }).int("use a whole number"));
    case "number":
      return number(z.number({ error: "use a number" }));
    case "boolean":
      return z.boolean({ error: "use true or false" });
    case "list":
      return z.array(text("text in each item"), { error: "use a list, such as [a, b]" });
    case "map":
      return z.record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "name entries with letters, digits and '_'"),
        z.union([z.string(), z.number(), z.boolean()], { error: "use text, a number or true/false" })
          .transform(String)
          // Values land in templates line by line (ARG KEY=VALUE): a line break would add lines of its own.
          .refine((value) => !/[\r\n]/.test(value), "use a value on one line"),
        { error: (issue) => issue.code === "invalid_type" ? "use a map of NAME: value" : undefined },
      );
  }
}

/** The declared name closest to a mistyped one (at most 2 edits away), if any. */
function closest(name: string, names: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of names) {
    const distance = editDistance(name, candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
