// RFC 4180 CSV: quoted fields may hold commas, newlines and doubled quotes.

export class CsvError extends Error {}

/** Parses CSV text into rows of fields. */
export function parseRows(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        if (char === '\n') line++;
        field += char;
      }
    } else if (char === '"' && field === '') {
      quoted = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      line++;
    } else {
      field += char;
    }
  }
  if (quoted) throw new CsvError(`line ${line}: a quoted field is not closed`);
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The header and the records as objects; every record must have the header's width. */
export function parseCsv(text) {
  const [header, ...records] = parseRows(text);
  if (!header) throw new CsvError('the file is empty: expected a header row');
  return {
    columns: header,
    records: records.map((fields, index) => {
      if (fields.length !== header.length) {
        throw new CsvError(
          `line ${index + 2}: expected ${header.length} fields, found ${fields.length}`,
        );
      }
      return Object.fromEntries(header.map((name, i) => [name, fields[i]]));
    }),
  };
}
