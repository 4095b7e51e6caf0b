import type { Lang } from '../i18n';
import { formatNumber } from '../format';

/** What a pager shows for one page of a paged list: how many pages, the count as people read it, and whether "next" works. */
export interface Pager {
  pages: number;
  counted: string;
  hasNext: boolean;
}

/**
 * A page of a list whose total may be capped (the worklist's `totalCapped`, ADR 39): past the API's count limit the
 * total means "at least", so the count reads "10.000+" and "next" stays open while pages come back full.
 */
export function pagerOf(list: { total: number; totalCapped?: boolean; items: unknown[] }, page: number, pageSize: number, lang: Lang): Pager {
  const capped = list.totalCapped === true;
  const pages = Math.max(1, Math.ceil(list.total / pageSize), capped ? page : 1);
  return {
    pages,
    counted: `${formatNumber(list.total, lang)}${capped ? '+' : ''}`,
    hasNext: page < pages || (capped && list.items.length === pageSize)
  };
}
