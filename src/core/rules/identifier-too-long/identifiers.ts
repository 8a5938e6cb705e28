import { scanSync } from 'libpg-query';

/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are truncated to this many bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * Identifiers of a statement as written (before PostgreSQL truncates them), unquoted and
 * case-folded like the server does. The parse tree cannot be used for this: libpg-query's
 * scanner has already truncated long identifiers in it.
 */
export function writtenIdentifiers(sql: string): string[] {
  let tokens: Array<{ text: string; tokenName: string }>;
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    // The statement already parsed, so the scanner cannot fail on it; nothing to report if it does.
    return [];
  }
  return tokens.filter((t) => t.tokenName === 'IDENT').map((t) => (t.text.startsWith('"') ? t.text.slice(1, -1).replace(/""/g, '"') : t.text.toLowerCase()));
}

/** The identifier as PostgreSQL stores it: cut to 63 bytes without splitting a character. */
export function truncateIdentifier(name: string): string {
  let out = '';
  for (const ch of name) {
    if (Buffer.byteLength(out + ch, 'utf8') > MAX_IDENTIFIER_BYTES) break;
    out += ch;
  }
  return out;
}
