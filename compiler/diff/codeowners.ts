/**
 * GitHub CODEOWNERS: who owns a file. The last matching line wins; patterns follow gitignore
 * rules (https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners).
 */
import fs from "node:fs";
import path from "node:path";

/** Where GitHub looks for the file, in its order. */
const LOCATIONS = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

interface Rule {
  readonly pattern: RegExp;
  readonly owners: readonly string[];
}

/** A gitignore-style pattern as a regular expression over `/`-separated, repository-relative paths. */
export function patternToRegExp(pattern: string): RegExp {
  let p = pattern;
  const dirOnly = p.endsWith("/");
  if (dirOnly) p = p.slice(0, -1);
  // A slash at the start or in the middle anchors the pattern at the root; otherwise it matches at any depth.
  const anchored = p.startsWith("/") || p.includes("/");
  if (p.startsWith("/")) p = p.slice(1);
  let body = "";
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "*" && p[i + 1] === "*") {
      const slashAfter = p[i + 2] === "/";
      body += slashAfter ? "(?:.*/)?" : ".*";
      i += slashAfter ? 2 : 1;
    } else if (c === "*") body += "[^/]*";
    else if (c === "?") body += "[^/]";
    else body += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  // A pattern naming a folder owns everything below it.
  return new RegExp(`^${anchored ? "" : "(?:.*/)?"}${body}${dirOnly ? "/.*" : "(?:/.*)?"}$`);
}

/** Parses CODEOWNERS text into rules, in file order. */
export function parseCodeowners(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) continue;
    const [pattern, ...owners] = line.split(/\s+/);
    rules.push({ pattern: patternToRegExp(pattern!), owners });
  }
  return rules;
}

/** The owners of a repository-relative file (empty when no rule, or the last matching rule, names none). */
export function ownersOf(rules: readonly Rule[], file: string): string[] {
  let owners: readonly string[] = [];
  for (const r of rules) if (r.pattern.test(file)) owners = r.owners;
  return [...owners];
}

/** The repository's CODEOWNERS rules, or undefined when it has no CODEOWNERS file. */
export function loadCodeowners(repo: string): Rule[] | undefined {
  for (const location of LOCATIONS) {
    const file = path.join(repo, location);
    if (fs.existsSync(file)) return parseCodeowners(fs.readFileSync(file, "utf8"));
  }
  return undefined;
}
