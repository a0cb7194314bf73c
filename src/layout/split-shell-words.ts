/**
 * Splits a command-line string into words the way a POSIX shell would, without expansions:
 * whitespace separates words, single quotes keep everything literal, double quotes keep
 * whitespace and honour `\"`, `\\`, `\$` and `` \` ``, and a backslash outside quotes escapes
 * the next character. An unterminated quote runs to the end of the string rather than failing,
 * because the strings come from environment variables the user cannot easily correct mid-run.
 */
export function splitShellWords(input: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < input.length) {
    const ch = input[i] as string;
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i += 1;
      continue;
    }
    inWord = true;
    if (ch === "'") {
      const end = input.indexOf("'", i + 1);
      const stop = end === -1 ? input.length : end;
      word += input.slice(i + 1, stop);
      i = stop + 1;
    } else if (ch === '"') {
      i += 1;
      while (i < input.length && input[i] !== '"') {
        const next = input[i + 1];
        if (input[i] === "\\" && next !== undefined && '"\\$`'.includes(next)) {
          word += next;
          i += 2;
        } else {
          word += input[i];
          i += 1;
        }
      }
      i += 1;
    } else if (ch === "\\") {
      const next = input[i + 1];
      if (next !== undefined && next !== "\n") word += next;
      i += 2;
    } else {
      word += ch;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}
