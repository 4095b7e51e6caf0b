import { describe, expect, it } from 'vitest';
import { pagerOf } from '../src/pages/pager';

const plain = (text: string) => text.replace(/\u00a0/g, ' ');
const items = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('the worklist\'s pager', () => {
  it('counts the pages of an exact total and stops at the last', () => {
    const last = pagerOf({ total: 45, items: items(5) }, 3, 20, 'id');
    expect(last).toEqual({ pages: 3, counted: '45', hasNext: false });
    expect(pagerOf({ total: 45, items: items(20) }, 2, 20, 'id').hasNext).toBe(true);
    expect(pagerOf({ total: 0, items: [] }, 1, 20, 'en')).toEqual({ pages: 1, counted: '0', hasNext: false });
  });

  it('reads a capped total as "at least" and goes on while pages come back full', () => {
    const capped = pagerOf({ total: 10_000, totalCapped: true, items: items(20) }, 500, 20, 'id');
    expect(plain(capped.counted)).toBe('10.000+');
    expect(capped).toMatchObject({ pages: 500, hasNext: true });
    // Past the counted pages the pager follows the page asked for, and a short page is the last.
    expect(pagerOf({ total: 10_000, totalCapped: true, items: items(20) }, 612, 20, 'en')).toMatchObject({ pages: 612, counted: '10,000+', hasNext: true });
    expect(pagerOf({ total: 10_000, totalCapped: true, items: items(7) }, 613, 20, 'en').hasNext).toBe(false);
  });
});
