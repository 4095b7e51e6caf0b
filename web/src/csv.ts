/** One CSV cell: quoted when needed, and never read as a formula by a spreadsheet (=, +, -, @ lead with a quote). */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map(row => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Offers the text as a file; a chart's data goes out with plain numbers (a ratio as 0.3702), not as formatted text. */
export function download(fileName: string, text: string) {
  downloadBlob(fileName, new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' }));
}

/** Offers any answer (a CSV, a workbook) as a file, through an object URL. */
export function downloadBlob(fileName: string, blob: Blob) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
