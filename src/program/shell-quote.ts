// A path as a POSIX shell reads it back, for the commands the program prints
// ("resume with: ..."): copied and pasted, a name with spaces, quotes or
// non-ASCII letters must still name the same file.

/** `s` unchanged when every character is safe unquoted; otherwise in single quotes, a quote inside written '\''. */
export const shellQuote = (s: string): string =>
  /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
