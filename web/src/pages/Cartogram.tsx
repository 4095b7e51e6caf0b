import { useI18n } from '../i18n';
import { formatPercent } from '../format';

/**
 * Bengkulu's ten units as tiles, roughly in place: the province is a strip along the coast from Mukomuko in
 * the north-west to Kaur in the south-east, with Lebong, Rejang Lebong and Kepahiang inland. No boundary data
 * is shipped (none with a licence that clearly allows it), so position stands for shape.
 */
const tiles: Record<string, { row: number; column: number }> = {
  '17.06': { row: 1, column: 1 }, // Mukomuko
  '17.03': { row: 2, column: 1 }, // Bengkulu Utara
  '17.07': { row: 2, column: 2 }, // Lebong
  '17.09': { row: 3, column: 1 }, // Bengkulu Tengah
  '17.02': { row: 3, column: 2 }, // Rejang Lebong
  '17.71': { row: 4, column: 1 }, // Kota Bengkulu
  '17.08': { row: 4, column: 2 }, // Kepahiang
  '17.05': { row: 5, column: 2 }, // Seluma
  '17.01': { row: 6, column: 2 }, // Bengkulu Selatan
  '17.04': { row: 6, column: 3 }  // Kaur
};

/** Light to dark as coverage rises; the text sits on white, so every shade keeps it readable. */
function shade(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return '#d9dee3';
  const steps = ['#deebf7', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];
  return steps[Math.min(steps.length - 1, Math.floor(Math.max(0, ratio) * steps.length))];
}

export interface TileRow {
  code: string;
  name: string;
  ratio: number | null | undefined;
}

export function Cartogram({ rows }: { rows: TileRow[] }) {
  const { t, lang } = useI18n();
  return (
    <figure class="cartogram">
      <figcaption>
        <h3>{t.cartogramTitle}</h3>
        <p class="help">{t.cartogramCaption}</p>
      </figcaption>
      <ul class="tiles">
        {rows.filter(r => tiles[r.code]).map(r => (
          <li key={r.code} class="tile" style={{ gridRow: tiles[r.code].row, gridColumn: tiles[r.code].column }}
              data-code={r.code}>
            <span class="swatch" style={{ background: shade(r.ratio) }} aria-hidden="true" />
            <span class="tile-name">{r.name}</span>
            <span class="tile-value">{r.ratio == null ? t.noTarget : formatPercent(r.ratio, lang)}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
