import { InvalidRequestError } from '../domain/errors';

/**
 * CSV as RFC 4180 writes it, and as spreadsheets export it: comma-separated fields, a field in
 * double quotes may hold commas, quotes (doubled) and line breaks; lines end in CRLF or LF; a
 * UTF-8 byte order mark is dropped. The first line names the columns. Blank lines are skipped.
 * Anything else is refused with the line it is on, never guessed at: a contact table read wrong
 * is worse than one not read.
 */

/** A CSV that cannot be read; `line` counts from 1, the header's line. */
export class CsvError extends InvalidRequestError {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`CSV line ${line}: ${problem}`);
  }
}

export interface CsvRecord {
  /** The line the record starts on (a quoted field may span lines). */
  line: number;
  /** Its fields by column name, in the header's order. */
  fields: Record<string, string>;
}

export interface CsvTable {
  columns: string[];
  records: CsvRecord[];
}

interface RawRecord {
  line: number;
  values: string[];
  /** Nothing on the line but spaces, and no quotes: skipped. */
  blank: boolean;
}

/** Line breaks in a piece of a quoted field (CRLF counts once). */
function lineBreaks(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) n++;
  }
  return n;
}

/** Splits the text into records, each with the line it starts on. */
function* rawRecords(text: string): Generator<RawRecord> {
  const end = text.length;
  let i = 0;
  let line = 1;
  while (i < end) {
    const start = line;
    const values: string[] = [];
    let quoted = false;
    for (;;) {
      let value: string;
      if (text[i] === '"') {
        quoted = true;
        const opened = line;
        value = '';
        i++;
        for (;;) {
          const quote = text.indexOf('"', i);
          if (quote === -1) throw new CsvError(opened, 'a quoted field is never closed (a missing ")');
          const piece = text.slice(i, quote);
          line += lineBreaks(piece);
          value += piece;
          if (text[quote + 1] === '"') {
            value += '"';
            i = quote + 2;
            continue;
          }
          i = quote + 1;
          break;
        }
        if (i < end && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new CsvError(line, 'a closing quote is followed by more text: a quote inside a quoted field is written twice ("")');
        }
      } else {
        let j = i;
        while (j < end && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') {
          if (text[j] === '"') throw new CsvError(line, 'a quote inside a field that does not start with one: quote the whole field, and write the quote twice ("")');
          j++;
        }
        value = text.slice(i, j);
        i = j;
      }
      values.push(value);
      if (i >= end) break;
      if (text[i] === ',') {
        i++;
        if (i < end) continue;
        // A comma last in the text ends with an empty field.
        values.push('');
        break;
      }
      i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      break;
    }
    yield { line: start, values, blank: !quoted && values.length === 1 && values[0].trim() === '' };
  }
}

/** The header's names, trimmed: none empty, none twice. */
function header(record: RawRecord): string[] {
  const columns = record.values.map((name) => name.trim());
  const first = new Map<string, number>();
  columns.forEach((name, i) => {
    if (name === '') throw new CsvError(record.line, `column ${i + 1} of the header has no name: the first line must name every column`);
    const earlier = first.get(name);
    if (earlier !== undefined) throw new CsvError(record.line, `the header names "${name}" twice (columns ${earlier + 1} and ${i + 1})`);
    first.set(name, i);
  });
  return columns;
}

/** A CSV's bytes as text: UTF-8 only (a spreadsheet's "CSV UTF-8"); anything else is refused rather than read as mojibake. */
export function decodeCsv(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidRequestError('the CSV is not UTF-8 text: save it as "CSV UTF-8" (or convert it, e.g. iconv -f WINDOWS-1250 -t UTF-8)');
  }
}

/** The whole text at once: a table of a few hundred thousand rows still fits in memory comfortably. */
export function parseCsv(input: string): CsvTable {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  let columns: string[] | null = null;
  const records: CsvRecord[] = [];
  for (const record of rawRecords(text)) {
    if (record.blank) continue;
    if (columns === null) {
      columns = header(record);
      continue;
    }
    if (record.values.length !== columns.length) {
      throw new CsvError(record.line, `${record.values.length} field${record.values.length === 1 ? '' : 's'}, but the header has ${columns.length}`);
    }
    // fromEntries defines each column as the row's own, even one named __proto__.
    records.push({ line: record.line, fields: Object.fromEntries(columns.map((name, i) => [name, record.values[i]])) });
  }
  if (columns === null) throw new CsvError(1, 'the CSV is empty: its first line must name the columns (for example number,name)');
  return { columns, records };
}
