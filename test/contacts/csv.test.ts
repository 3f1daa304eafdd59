import { strict as assert } from 'node:assert';
import { CsvError, parseCsv } from '../../src/contacts/csv';
import { InvalidRequestError } from '../../src/domain/errors';

/** The refusal's line and message. */
function refusal(text: string): { line: number; message: string } {
  try {
    parseCsv(text);
  } catch (err) {
    assert.ok(err instanceof CsvError, String(err));
    assert.ok(err instanceof InvalidRequestError, 'a CSV error is the client\'s to fix');
    return { line: err.line, message: err.message };
  }
  assert.fail(`read without complaint: ${JSON.stringify(text)}`);
}

describe('contacts: CSV', () => {
  it('reads a header and rows, with LF or CRLF, with or without a last line break', () => {
    for (const text of ['number,name\n+420601000001,Ada\n601 000 002,Bob\n', 'number,name\r\n+420601000001,Ada\r\n601 000 002,Bob', '\ufeffnumber,name\n+420601000001,Ada\r\n601 000 002,Bob\r\n']) {
      assert.deepEqual(parseCsv(text), {
        columns: ['number', 'name'],
        records: [
          { line: 2, fields: { number: '+420601000001', name: 'Ada' } },
          { line: 3, fields: { number: '601 000 002', name: 'Bob' } },
        ],
      }, JSON.stringify(text));
    }
  });

  it('reads quoted fields: commas, doubled quotes and line breaks inside, and counts lines past them', () => {
    const table = parseCsv('number,note,city\n1,"says ""hi"", often","Brno"\n2,"two\r\nlines\nhere",\n3,"",x\n');
    assert.deepEqual(table.records, [
      { line: 2, fields: { number: '1', note: 'says "hi", often', city: 'Brno' } },
      { line: 3, fields: { number: '2', note: 'two\r\nlines\nhere', city: '' } },
      { line: 6, fields: { number: '3', note: '', city: 'x' } },
    ]);
  });

  it('keeps spaces inside fields, trims header names, skips blank lines, and reads an empty last field', () => {
    const table = parseCsv(' number , name \n\n 1 , Ada \n   \n2,\n');
    assert.deepEqual(table.columns, ['number', 'name']);
    assert.deepEqual(table.records, [
      { line: 3, fields: { number: ' 1 ', name: ' Ada ' } },
      { line: 5, fields: { number: '2', name: '' } },
    ]);
    assert.deepEqual(parseCsv('a,b\n1,').records, [{ line: 2, fields: { a: '1', b: '' } }]);
    assert.deepEqual(parseCsv('number\n""\n').records, [{ line: 2, fields: { number: '' } }], 'a quoted empty field is a row, not a blank line');
  });

  it('takes a header without rows, and keeps a column named __proto__ a column', () => {
    assert.deepEqual(parseCsv('number,name\n'), { columns: ['number', 'name'], records: [] });
    const [row] = parseCsv('number,__proto__\n1,x\n').records;
    assert.deepEqual(Object.keys(row.fields), ['number', '__proto__']);
    assert.equal(JSON.stringify(row.fields), '{"number":"1","__proto__":"x"}');
  });

  it('refuses what it cannot read for sure, naming the line', () => {
    assert.deepEqual(refusal(''), { line: 1, message: 'CSV line 1: the CSV is empty: its first line must name the columns (for example number,name)' });
    assert.equal(refusal('\ufeff\n\n').line, 1);
    assert.deepEqual(refusal('number,,name\n1,2,3\n'), { line: 1, message: 'CSV line 1: column 2 of the header has no name: the first line must name every column' });
    assert.deepEqual(refusal('number,name,number\n'), { line: 1, message: 'CSV line 1: the header names "number" twice (columns 1 and 3)' });
    assert.deepEqual(refusal('number,name\n1,Ada\n2,Bob,extra\n'), { line: 3, message: 'CSV line 3: 3 fields, but the header has 2' });
    assert.deepEqual(refusal('number,name\n1,Ada\n2\n'), { line: 3, message: 'CSV line 3: 1 field, but the header has 2' });
    assert.equal(refusal('number,note\n1,"a\nb"\n2,x,y\n').line, 4, 'a ragged row after a quoted line break is on its own line');
    assert.match(refusal('number,note\n1,"never closed\n2,x\n').message, /^CSV line 2: a quoted field is never closed/);
    assert.match(refusal('number,note\n1,"quoted" then more\n').message, /^CSV line 2: a closing quote is followed by more text/);
    assert.match(refusal('number,note\n1,say "hi"\n').message, /^CSV line 2: a quote inside a field that does not start with one/);
  });

  it('reads a large file quickly', () => {
    const lines = ['number,name,note'];
    for (let i = 0; i < 100_000; i++) lines.push(`+4206${String(i).padStart(8, '0')},"Caller ${i}","note, with a comma"`);
    const started = Date.now();
    const table = parseCsv(lines.join('\r\n'));
    assert.equal(table.records.length, 100_000);
    assert.equal(table.records[99_999].line, 100_001);
    assert.ok(Date.now() - started < 2_000, `${Date.now() - started} ms`);
  });
});
